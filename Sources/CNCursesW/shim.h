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
static inline int pagoda_colors(void) { return COLORS; }

// Function-like macros and attribute constants are not imported into Swift.
static inline int pagoda_set_style(WINDOW *w, int pair, int bold, int reverse, int dim, int underline) {
    attr_t a = A_NORMAL;
    if (bold) a |= A_BOLD;
    if (reverse) a |= A_REVERSE;
    if (dim) a |= A_DIM;
    if (underline) a |= A_UNDERLINE;
    return wattr_set(w, a, (short)pair, NULL);
}

// Mouse wheel reports (button 4 up, button 5 down).
static inline void pagoda_enable_wheel(void) {
    mousemask(BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(0);
}

// After KEY_MOUSE: +1 wheel up, -1 wheel down, 0 anything else.
static inline int pagoda_wheel_direction(void) {
    MEVENT event;
    if (getmouse(&event) != OK) return 0;
    if (event.bstate & BUTTON4_PRESSED) return 1;
    if (event.bstate & BUTTON5_PRESSED) return -1;
    return 0;
}

// Glibc's module hides wcwidth.
int wcwidth(wchar_t c);

#endif
