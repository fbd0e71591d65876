/*
 * floor0.c - the bare exec floor: a program that does nothing.
 *
 * Built and linked exactly like the gt commands (bench-tools), so timing it
 * gives the cost of fork, exec and the dynamic loader alone.
 */
#include "base/banned.h"

int main(void)
{
	return 0;
}
