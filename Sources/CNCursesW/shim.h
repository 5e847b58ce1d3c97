#ifndef PAGODA_CNCURSESW_SHIM_H
#define PAGODA_CNCURSESW_SHIM_H

// SwiftPM drops pkg-config's -D flags, so the wide-character API is turned on here.
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <wchar.h>
#include <ncursesw/ncurses.h>

// Swift 6 rejects ncurses' mutable C globals; read them through functions.
static inline WINDOW *pagoda_stdscr(void) { return stdscr; }
static inline int pagoda_lines(void) { return LINES; }
static inline int pagoda_cols(void) { return COLS; }

// Function-like macros are not imported into Swift.
static inline int pagoda_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline unsigned int pagoda_attr_bold(void) { return (unsigned int)A_BOLD; }
static inline unsigned int pagoda_attr_reverse(void) { return (unsigned int)A_REVERSE; }
static inline unsigned int pagoda_attr_dim(void) { return (unsigned int)A_DIM; }

// Glibc's module hides wcwidth.
int wcwidth(wchar_t c);

#endif
