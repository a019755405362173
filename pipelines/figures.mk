# figures.mk: the paper's figures (Fritsch et al. 2025) from the streams of
# infer (or pipelines/calibrate.mk) and agent, drawn by gnuplot, PNG and SVG.
#
#   make -f pipelines/figures.mk OUT=demo-out/case2 [FIG=dir] [AGENT=steps.mpk]
#
# From OUT/posterior.mpk and OUT/predictive.mpk (infer PLAN -o ... -p ...):
#   FIG/fit-L        data against the posterior predictive of level L and of
#                    the validation: phibar_i mean +- 2 sd with the data
#                    points, phi_i and psi_i likewise (paper figs 4, 9, 11,
#                    13, 15)
#   FIG/pairs-L      posterior pair plot of level L: histograms, scatter,
#                    Pearson correlations, the plan's truth (figs 3, 8, 10, 12)
#   FIG/recovery     truth against posterior mean +- 1 sd, every parameter (fig 14)
#   FIG/diagnostics  TMCMC per stage and level: beta, ESS, acceptance,
#                    log-evidence (the posterior header's "history")
#   FIG/prior-L      prior predictive spread of level PRIOR_LEVEL (fig 5):
#                    PRIOR_SAMPLES draws of its prior, solved (the plan is
#                    the one the predictive stream names)
# and from AGENT (agent's step stream), when given:
#   FIG/agent        beliefs over time and the policy posterior of episode
#                    EPISODE
# Each as .png and .svg; the tables gnuplot read are kept in FIG/tsv.
#
# Variables: OUT (required), POSTERIOR, PREDICTIVE (default OUT/posterior.mpk,
# OUT/predictive.mpk), FIG (default OUT/figures), PRIOR_LEVEL (default the
# first level; a later one needs its earlier levels' posteriors in
# FIG/tsv/prior/LEVEL/posterior.mpk, as infer --setup does), PRIOR_SAMPLES
# (default 50), PRIOR_SEED (1), AGENT, EPISODE (default 0), SCALE (default
# 1: every figure SCALE times its size, fonts and lines with it).
#
# The data files and the plan are found by the paths the predictive stream's
# header gives, relative to where infer ran: run this from there. Every
# table and figure is written under a temporary name and renamed, so an
# interrupted run leaves nothing Make would take as done. Data reach gnuplot
# only through mpcat --tsv; the drawing is in pipelines/figures/*.gp.

# bash for pipefail: a table made by a pipe must fail when mpcat does (a
# cut or corrupt stream), not take the status of the last awk or cut.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec

ifndef OUT
$(error give the calibration's directory: make -f pipelines/figures.mk OUT=dir [FIG=dir] [AGENT=steps.mpk])
endif
POSTERIOR ?= $(OUT)/posterior.mpk
PREDICTIVE ?= $(OUT)/predictive.mpk
FIG ?= $(OUT)/figures
PRIOR_SAMPLES ?= 50
PRIOR_SEED ?= 1
EPISODE ?= 0
SCALEVAR := $(if $(SCALE),scale=$(SCALE); )
HERE := $(dir $(lastword $(MAKEFILE_LIST)))
GP := $(HERE)figures
# the build tree's programs, when this runs from a checkout ($(shell)
# does not see an exported PATH before GNU make 4.4, hence MPCAT)
ifneq ($(wildcard $(HERE)../bin/mpcat),)
export PATH := $(abspath $(HERE)../bin):$(PATH)
MPCAT := $(abspath $(HERE)../bin/mpcat)
else
MPCAT := mpcat
endif
T := $(FIG)/tsv

# What the streams hold decides the targets, so they must exist before
# anything else is done.
ifeq ($(wildcard $(POSTERIOR)),)
$(error figures.mk: '$(POSTERIOR)': no such file (infer PLAN -o $(POSTERIOR)))
endif
ifeq ($(wildcard $(PREDICTIVE)),)
$(error figures.mk: '$(PREDICTIVE)': no such file (infer PLAN -p $(PREDICTIVE)))
endif
ifneq ($(AGENT),)
ifeq ($(wildcard $(AGENT)),)
$(error figures.mk: '$(AGENT)': no such file (agent ... -o $(AGENT)))
endif
endif
LEVELS := $(shell $(MPCAT) -i $(POSTERIOR) --tsv --headers level)
ifneq ($(.SHELLSTATUS),0)
$(error figures.mk: '$(POSTERIOR)': cannot be read (mpcat's message above))
endif
FITS := $(shell $(MPCAT) -i $(PREDICTIVE) --tsv --headers 'levels[].name')
ifneq ($(.SHELLSTATUS),0)
$(error figures.mk: '$(PREDICTIVE)': cannot be read (mpcat's message above))
endif
PLAN := $(shell $(MPCAT) -i $(PREDICTIVE) --tsv --headers plan)
ifeq ($(LEVELS),)
$(error figures.mk: '$(POSTERIOR)': not a posterior stream (no level headers))
endif
ifeq ($(FITS),)
$(error figures.mk: '$(PREDICTIVE)': not a predictive stream (no levels in its header))
endif
PRIOR_LEVEL ?= $(firstword $(LEVELS))

FIGURES := $(FITS:%=fit-%) $(LEVELS:%=pairs-%) recovery diagnostics \
	$(if $(PRIOR_LEVEL),prior-$(PRIOR_LEVEL)) $(if $(AGENT),agent)

all: $(foreach f,$(FIGURES),$(FIG)/$(f).png $(FIG)/$(f).svg)
	@echo "figures: $(FIG): $(FIGURES:%=%.png)"

$(T):
	mkdir -p $@

# A level's or the validation's row of the predictive header: name,
# species..., data path; and its global species alone.
level_row = mpcat -i $(PREDICTIVE) --tsv --headers 'levels[].name' 'levels[].species' 'levels[].data' | \
	awk -F'\t' -v l=$(1) '$$1 == l'
level_species = $(call level_row,$(1)) | awk -F'\t' '{ s = $$2; for (i = 3; i < NF; i++) s = s " " $$i; print s }'
# Rename a figure's stem.tmp.png and .svg, which gnuplot wrote, into place.
commit = mv $(1).tmp.png $(1).png && mv $(1).tmp.svg $(1).svg

# the level's data as a row per data point: step, t, phibar_1..n
$(T)/data-%.tsv: $(PREDICTIVE) | $(T)
	@data=$$($(call level_row,$*) | awk -F'\t' '{ print $$NF }'); \
	if [ -z "$$data" ]; then : >$@.tmp; \
	elif [ ! -r "$$data" ]; then \
		echo "figures.mk: level '$*': data file '$$data' not found (the predictive header's paths are relative to where infer ran)" >&2; \
		exit 2; \
	else mpcat -i "$$data" --tsv 'step[]' 't[]' 'phibar[]' >$@.tmp; fi
	@mv $@.tmp $@

# the predictive of a level: step, t, phibar mean, sd, phi mean, sd, psi mean, sd
$(T)/fit-%.tsv: $(PREDICTIVE) | $(T)
	mpcat -i $(PREDICTIVE) --tsv level step t mean sd phi_mean phi_sd psi_mean psi_sd | \
		awk -F'\t' -v l=$* '$$1 == l' | cut -f2- >$@.tmp
	@mv $@.tmp $@

$(FIG)/fit-%.png $(FIG)/fit-%.svg: $(T)/fit-%.tsv $(T)/data-%.tsv $(GP)/fit.gp $(GP)/style.gp
	@species=$$($(call level_species,$*)); \
	n=$$(echo "$$species" | wc -w); \
	gnuplot -e "$(SCALEVAR)in='$<'; data='$(word 2,$^)'; out='$(FIG)/fit-$*.tmp'; n=$$n; species='$$species'; \
		title='$*: data against the posterior predictive'" $(GP)/fit.gp
	@$(call commit,$(FIG)/fit-$*)

# a level's posterior samples, a row each: theta_1..theta_d
$(T)/pairs-%.tsv: $(POSTERIOR) | $(T)
	mpcat -i $(POSTERIOR) --tsv ^level theta | awk -F'\t' -v l=$* '$$1 == l' | cut -f2- >$@.tmp
	@mv $@.tmp $@

$(FIG)/pairs-%.png $(FIG)/pairs-%.svg: $(T)/pairs-%.tsv $(POSTERIOR) $(GP)/pairs.gp $(GP)/style.gp
	@row=$$(mpcat -i $(POSTERIOR) --tsv --headers level parameters | awk -F'\t' -v l=$* '$$1 == l' | cut -f2-); \
	truth=$$(mpcat -i $(POSTERIOR) --tsv --headers level truth | \
		awk -F'\t' -v l=$* '$$1 == l { for (i = 2; i <= NF; i++) printf "%s%s", (i > 2 ? " " : ""), ($$i == "" ? "-" : $$i) }'); \
	gnuplot -e "$(SCALEVAR)in='$<'; out='$(FIG)/pairs-$*.tmp'; d=$$(echo "$$row" | wc -w); names='$$(echo $$row)'; \
		truth='$$truth'; title='$*: posterior samples'" $(GP)/pairs.gp
	@$(call commit,$(FIG)/pairs-$*)

# every level's parameters: level, name, truth, mean, sd
$(T)/recovery.tsv: $(POSTERIOR) | $(T)
	mpcat -i $(POSTERIOR) --tsv --headers level 'parameters[]' 'truth[]' 'summary.mean[]' 'summary.sd[]' >$@.tmp
	@mv $@.tmp $@

$(FIG)/recovery.png $(FIG)/recovery.svg &: $(T)/recovery.tsv $(GP)/recovery.gp $(GP)/style.gp
	gnuplot -e "$(SCALEVAR)in='$<'; out='$(FIG)/recovery.tmp'; title='Parameters: truth and posterior'" $(GP)/recovery.gp
	@$(call commit,$(FIG)/recovery)

# every level's stages: level, stage, beta, ess, acceptance, log_evidence
$(T)/diagnostics.tsv: $(POSTERIOR) | $(T)
	mpcat -i $(POSTERIOR) --tsv --headers level 'history[].stage' 'history[].beta' 'history[].ess' \
		'history[].acceptance' 'history[].log_evidence' >$@.tmp
	@mv $@.tmp $@

$(FIG)/diagnostics.png $(FIG)/diagnostics.svg &: $(T)/diagnostics.tsv $(GP)/diagnostics.gp $(GP)/style.gp
	@samples=$$(mpcat -i $(POSTERIOR) --tsv --headers samples | head -n 1); \
	gnuplot -e "$(SCALEVAR)in='$<'; out='$(FIG)/diagnostics.tmp'; levels='$(LEVELS)'; samples=$$samples; \
		title='TMCMC stages (N = $$samples samples)'" $(GP)/diagnostics.gp
	@$(call commit,$(FIG)/diagnostics)

# PRIOR_SAMPLES draws of the level's prior (tmcmc-stage --init), each
# solved: id, step, t, phibar_1..n, a blank line between draws (the name
# carries the draws and the seed, so changing them makes a new table)
$(T)/prior$(PRIOR_SAMPLES)s$(PRIOR_SEED)-%.tsv: $(PREDICTIVE) | $(T)
	@if [ ! -r "$(PLAN)" ]; then \
		echo "figures.mk: plan '$(PLAN)' (named by $(PREDICTIVE)) not found: run from where infer ran" >&2; exit 2; fi
	infer $(PLAN) --from $(T)/prior --setup $*
	tmcmc-stage --init --prior $(T)/prior/$*/prior.json -N $(PRIOR_SAMPLES) --seed $(PRIOR_SEED) | \
		solve -q -m $(T)/prior/$*/model.json --observables --every 10 | \
		mpcat --tsv id 'step[]' 't[]' 'phibar[]' | \
		awk -F'\t' 'NR > 1 && $$1 != id { print "" } { id = $$1; print }' >$@.tmp
	@mv $@.tmp $@

$(FIG)/prior-%.png $(FIG)/prior-%.svg: $(T)/prior$(PRIOR_SAMPLES)s$(PRIOR_SEED)-%.tsv $(T)/data-%.tsv $(GP)/prior.gp $(GP)/style.gp
	@species=$$($(call level_species,$*)); \
	n=$$(echo "$$species" | wc -w); \
	gnuplot -e "$(SCALEVAR)in='$<'; data='$(word 2,$^)'; out='$(FIG)/prior-$*.tmp'; n=$$n; species='$$species'; \
		title='$*: prior predictive ($(PRIOR_SAMPLES) draws of the prior)'" $(GP)/prior.gp
	@$(call commit,$(FIG)/prior-$*)

# one episode's steps: t, qs (all factors), q_pi, action
$(T)/agent.tsv: $(AGENT) | $(T)
	mpcat -i $(AGENT) --tsv id t qs q_pi action | awk -F'\t' -v e=$(EPISODE) '$$1 == e' | cut -f2- >$@.tmp
	@if [ ! -s $@.tmp ]; then echo "figures.mk: '$(AGENT)': no steps of episode $(EPISODE)" >&2; rm -f $@.tmp; exit 2; fi
	@mv $@.tmp $@

$(FIG)/agent.png $(FIG)/agent.svg &: $(T)/agent.tsv $(GP)/agent.gp $(GP)/style.gp
	@sizes=$$(mpcat -i $(AGENT) -n 1 --tsv 'qs[]' | awk -F'\t' '{ printf "%s%d", (NR > 1 ? " " : ""), NF }'); \
	npolicies=$$(mpcat -i $(AGENT) -n 1 --tsv q_pi | awk -F'\t' '{ print NF }'); \
	gnuplot -e "$(SCALEVAR)in='$<'; out='$(FIG)/agent.tmp'; sizes='$$sizes'; npolicies=$$npolicies; \
		title='Agent: episode $(EPISODE) of $(notdir $(AGENT))'" $(GP)/agent.gp
	@$(call commit,$(FIG)/agent)

.PHONY: all
.DELETE_ON_ERROR:
.SECONDARY:
