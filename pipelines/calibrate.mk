# calibrate.mk: infer's calibration as files, one per level and stage, run
# by Make (DESIGN §4). The same plan and seed give the same posterior, byte
# for byte, as `infer PLAN -o FILE`.
#
#   make -f pipelines/calibrate.mk PLAN=examples/case2/quick.json OUT=out JOBS=2
#
# For each level L of the plan, in the order the plan's hand-offs need
# (levels that do not depend on each other may run at once with make -j):
#   OUT/L/env, model.json, prior.json   infer --setup: the level's model in
#                                       global names, its prior, the values
#                                       it takes from earlier levels
#   OUT/L/stage-NNN.mpk                 pipelines/tmcmc.sh: tmcmc-stage, one
#                                       file per stage, the likelihoods by
#                                       `sensitivity --shard` over GNU parallel
#                                       (pipelines/eval-parallel)
#   OUT/L/posterior.mpk                 the last stage (beta = 1)
# then
#   OUT/posterior.mpk    the posterior stream (infer --from OUT -o)
#   OUT/predictive.mpk   the posterior predictive of every level and the validation
#   OUT/summary.txt      the summary infer prints
#
# Variables: PLAN (required), OUT (default out), JOBS (jobs at once, default
# the number of cores), SSHLOGINFILE (GNU parallel's: run the shards on
# other hosts; see pipelines/eval-parallel), SHARDS.
#
# Resumable: every file is written atomically, so after an interruption
# `make` redoes only what is missing, and a level resumes after its last
# stage file. A level whose env is rewritten (the plan or an earlier level
# changed) starts again from stage 0.

ifndef PLAN
$(error give the plan: make -f pipelines/calibrate.mk PLAN=plan.json [OUT=dir] [JOBS=n])
endif
OUT ?= out
HERE := $(dir $(lastword $(MAKEFILE_LIST)))
# the build tree's programs, when this runs from a checkout
ifneq ($(wildcard $(HERE)../bin/infer),)
export PATH := $(abspath $(HERE)../bin):$(PATH)
endif
TMCMC := $(HERE)tmcmc.sh
EVAL := $(abspath $(HERE)eval-parallel)
export JOBS SHARDS SSHLOGINFILE

all: $(OUT)/posterior.mpk

# LEVELS, and each level's env after the posteriors it takes values from
include $(OUT)/levels.mk

$(OUT)/levels.mk: $(PLAN)
	@mkdir -p $(OUT)
	infer $(PLAN) --from $(OUT) --make-rules > $@.tmp && mv $@.tmp $@

$(OUT)/%/env: $(PLAN) $(OUT)/levels.mk
	infer $(PLAN) --from $(OUT) --setup $*

$(OUT)/%/posterior.mpk: $(OUT)/%/env
	@# stage files older than the env belong to an earlier set-up
	find $(OUT)/$* -name 'stage-*.mpk' ! -newer $(OUT)/$*/env -exec rm -f {} +
	. $(OUT)/$*/env && $(TMCMC) -q -p "$$BIOFILTER_PRIOR" -N "$$BIOFILTER_SAMPLES" -s "$$BIOFILTER_SEED" \
		-l "$$BIOFILTER_LEVEL_INDEX" -d $(OUT)/$* \
		-e "$(EVAL) sensitivity -q $$BIOFILTER_EVAL_ARGS" -- $$BIOFILTER_STAGE_ARGS

$(OUT)/posterior.mpk: $(LEVELS:%=$(OUT)/%/posterior.mpk)
	infer $(PLAN) --from $(OUT) -o $@ -p $(OUT)/predictive.mpk > $(OUT)/summary.txt.tmp
	mv $(OUT)/summary.txt.tmp $(OUT)/summary.txt
	@cat $(OUT)/summary.txt

.PHONY: all
.DELETE_ON_ERROR:
.SECONDARY:
