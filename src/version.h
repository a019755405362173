/* version: the one place the release number is written. */
#ifndef BF_VERSION_H
#define BF_VERSION_H
#define BIOFILTER_VERSION "0.1.0"
#endif
