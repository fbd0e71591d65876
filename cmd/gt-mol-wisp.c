/*
 * gt-mol-wisp - gt-mol-pour into the ephemeral store (refs/gt/wisps):
 * the same program, built with WISP.
 */
#define WISP 1
#include "gt-mol-pour.c"
