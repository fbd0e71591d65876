/*
 * gt-thaw - lift an e-stop: gt-estop built with THAW.
 */
#define THAW 1
#include "gt-estop.c"
