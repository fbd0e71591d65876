/*
 * gt-rig-unpark - unpark a rig: gt-rig-park built with UNPARK.
 */
#define UNPARK 1
#include "gt-rig-park.c"
