/*
 * banned.h - calls that are easy to misuse (after git's banned.h).
 *
 * Include it last in every .c file.  A banned call becomes a compile error
 * naming the function, so the unsafe form cannot creep back in.  Use
 * snprintf/gt_buf for strings and gt_parse_int()/strtol for numbers.
 */
#ifndef GT_BANNED_H
#define GT_BANNED_H

#define GT_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) GT_BANNED(strcpy)
#undef strcat
#define strcat(x, y) GT_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) GT_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) GT_BANNED(strncat)
#undef sprintf
#define sprintf(...) GT_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) GT_BANNED(vsprintf)
#undef gets
#define gets(x) GT_BANNED(gets)
#undef atoi
#define atoi(x) GT_BANNED(atoi)
#undef atol
#define atol(x) GT_BANNED(atol)
#undef atoll
#define atoll(x) GT_BANNED(atoll)
#undef strtok
#define strtok(x, y) GT_BANNED(strtok)
#undef tmpnam
#define tmpnam(x) GT_BANNED(tmpnam)
#undef mktemp
#define mktemp(x) GT_BANNED(mktemp)

#endif
