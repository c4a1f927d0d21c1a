/*
 * The stand-in installer's screens: draws one screen on the framebuffer
 * (/dev/fb0, the Bochs display) and waits for one input — a key, text typed
 * into a field (echoed), a click in a rectangle (QEMU's USB tablet), or
 * Ctrl+Alt+Del — then exits 0 if it was the input asked for and 1 if not.
 * Keys are read from the console (tty1), so the guest's own keymap (loadkmap)
 * decides what a scancode types. What came is printed on stdout.
 *
 *   screens --title TEXT [--line TEXT]... [--mark green|grey]
 *           [--button X,Y,W,H,LABEL] [--field] [--secret]
 *           [--timeout SECONDS]
 *           --expect key:enter|key:tab|key:f8|key:any | text:VALUE | line | click:X,Y,W,H | cad
 *   screens --show ...   (draw and exit, waiting for nothing)
 * With --timeout, nothing within SECONDS exits 3.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <linux/input.h>
#include <linux/kd.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINES 16
#define MAX_TEXT 4096

static uint32_t *canvas; /* drawn here, then copied to the framebuffer whole */
static int width, height;
static unsigned char *font;
static int glyph_height;

static const char *title = "", *lines[MAX_LINES], *expect = "", *mark = NULL;
static int nlines, field, secret, show_only, timeout_s;
static int button[4] = {-1, -1, -1, -1};
static const char *button_label = "";
static char typed[MAX_TEXT];
static int ntyped;
static volatile sig_atomic_t cad;

static uint32_t rgb(int r, int g, int b) { return (uint32_t)(r << 16 | g << 8 | b); }

static void fill(int x, int y, int w, int h, uint32_t c) {
  for (int j = y; j < y + h && j < height; j++)
    for (int i = x; i < x + w && i < width; i++)
      if (i >= 0 && j >= 0) canvas[j * width + i] = c;
}

/* Text in the PSF font, each pixel `scale` times, wrapped at `right`; returns the next line's y. */
static int text(int x, int y, int right, const char *s, int scale, uint32_t c) {
  int cx = x;
  for (; *s; s++) {
    if (*s == '\n' || cx + 8 * scale > right) {
      cx = x;
      y += glyph_height * scale + 2;
      if (*s == '\n') continue;
    }
    const unsigned char *g = font + (unsigned char)*s * glyph_height;
    for (int row = 0; row < glyph_height; row++)
      for (int bit = 0; bit < 8; bit++)
        if (g[row] & (0x80 >> bit)) fill(cx + bit * scale, y + row * scale, scale, scale, c);
    cx += 8 * scale;
  }
  return y + glyph_height * scale + 2;
}

static int fb_fd;
static uint8_t *fb;
static struct fb_var_screeninfo var;
static struct fb_fix_screeninfo fix;

static int field_top = -1;

/* Copies rows [y0, y1) of the canvas to the framebuffer. */
static void flush_rows(int y0, int y1) {
  int bytes = var.bits_per_pixel / 8;
  for (int j = y0; j < y1 && j < height; j++) {
    uint8_t *row = fb + j * fix.line_length;
    if (bytes == 4) memcpy(row, canvas + j * width, width * 4);
    else
      for (int i = 0; i < width; i++) memcpy(row + i * bytes, canvas + j * width + i, bytes);
  }
}

/*
 * The field's text: all of it, or (as keys come) only the line the cursor is
 * on and the one before, since redrawing more a key would slow the guest.
 */
static void draw_field(int whole) {
  int per_line = (width - 80) / 8, line_height = glyph_height + 2;
  int bottom = height - 100, cursor_line = ntyped / per_line;
  int first = whole ? 0 : (cursor_line > 0 ? cursor_line - 1 : 0);
  int y0 = field_top + 8 + first * line_height;
  if (whole) fill(32, field_top, width - 64, bottom - field_top, rgb(255, 255, 255));
  else fill(32, y0, width - 64, 2 * line_height, rgb(255, 255, 255));
  char shown[MAX_TEXT + 2];
  int n = 0;
  for (int i = first * per_line; i < ntyped; i++) shown[n++] = secret ? '*' : typed[i];
  shown[n++] = '_';
  shown[n] = 0;
  text(40, y0, 40 + per_line * 8, shown, 1, rgb(0, 0, 0));
  flush_rows(whole ? field_top : y0, whole ? bottom : y0 + 2 * line_height);
}

static void present(void) {
  fill(0, 0, width, height, rgb(0, 84, 147));
  fill(0, 0, width, 64, rgb(0, 50, 100));
  text(32, 16, width - 32, title, 2, rgb(255, 255, 255));
  int y = 100;
  for (int i = 0; i < nlines; i++) y = text(32, y, width - 32, lines[i], 2, rgb(235, 235, 235)) + 8;
  if (mark) {
    /* Two marks of the same grey level: only colour tells them apart. */
    fill(32, height - 80, 48, 48, strcmp(mark, "green") == 0 ? rgb(40, 200, 40) : rgb(134, 134, 134));
    text(96, height - 72, width, "selected", 2, rgb(255, 255, 255));
  }
  if (button[0] >= 0) {
    fill(button[0], button[1], button[2], button[3], rgb(40, 40, 40));
    fill(button[0] + 2, button[1] + 2, button[2] - 4, button[3] - 4, rgb(220, 220, 220));
    text(button[0] + 12, button[1] + (button[3] - 32) / 2, button[0] + button[2], button_label, 2, rgb(0, 0, 0));
  }
  if (field) field_top = y + 16;
  flush_rows(0, height);
  if (field) draw_field(1);
}

static void die(const char *what) {
  fprintf(stderr, "screens: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void load_font(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) die(path);
  unsigned char head[4];
  if (fread(head, 1, 4, f) != 4 || head[0] != 0x36 || head[1] != 0x04) {
    fprintf(stderr, "screens: %s is not a PSF1 font\n", path);
    exit(2);
  }
  glyph_height = head[3];
  font = malloc(256 * glyph_height);
  if (fread(font, 1, 256 * glyph_height, f) != (size_t)(256 * glyph_height)) die("font glyphs");
  fclose(f);
}

static void open_framebuffer(void) {
  fb_fd = open("/dev/fb0", O_RDWR);
  if (fb_fd < 0) die("/dev/fb0");
  if (ioctl(fb_fd, FBIOGET_VSCREENINFO, &var) || ioctl(fb_fd, FBIOGET_FSCREENINFO, &fix)) die("FBIOGET");
  width = var.xres;
  height = var.yres;
  fb = mmap(NULL, fix.line_length * height, PROT_READ | PROT_WRITE, MAP_SHARED, fb_fd, 0);
  if (fb == MAP_FAILED) die("mmap");
  canvas = calloc(width * height, 4);
}

/* The USB tablet: the event device that reports absolute X. */
static int open_tablet(struct input_absinfo *ax, struct input_absinfo *ay) {
  for (int i = 0; i < 16; i++) {
    char path[32];
    snprintf(path, sizeof path, "/dev/input/event%d", i);
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) continue;
    unsigned long bits = 0;
    if (ioctl(fd, EVIOCGBIT(EV_ABS, sizeof bits), &bits) >= 0 && (bits & (1UL << ABS_X)) &&
        ioctl(fd, EVIOCGABS(ABS_X), ax) == 0 && ioctl(fd, EVIOCGABS(ABS_Y), ay) == 0)
      return fd;
    close(fd);
  }
  return -1;
}

/* A tablet coordinate as a pixel of a screen `size` pixels across. */
static int to_screen(int value, const struct input_absinfo *a, int size) {
  return (int)((long)(value - a->minimum) * (size - 1) / (a->maximum - a->minimum));
}

static void on_cad(int sig) {
  (void)sig;
  cad = 1;
}

/* Said on the serial port once the screen is drawn, so a test that waits for it sees it. */
static void announce(void) {
  FILE *serial = fopen("/dev/ttyS0", "w");
  if (serial) {
    fprintf(serial, "standin: screen: %s\n", title);
    fclose(serial);
  }
}

static void parse_rect(const char *s, int *r, const char **label) {
  char *end;
  for (int i = 0; i < 4; i++) {
    r[i] = (int)strtol(s, &end, 10);
    s = *end ? end + 1 : end;
  }
  if (label) *label = s;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
    if (!strcmp(a, "--title")) title = v, i++;
    else if (!strcmp(a, "--line") && nlines < MAX_LINES) lines[nlines++] = v, i++;
    else if (!strcmp(a, "--mark")) mark = v, i++;
    else if (!strcmp(a, "--button")) parse_rect(v, button, &button_label), i++;
    else if (!strcmp(a, "--field")) field = 1;
    else if (!strcmp(a, "--secret")) secret = 1;
    else if (!strcmp(a, "--expect")) expect = v, i++;
    else if (!strcmp(a, "--show")) show_only = 1;
    else if (!strcmp(a, "--timeout")) timeout_s = atoi(v), i++;
    else {
      fprintf(stderr, "screens: unknown argument %s\n", a);
      return 2;
    }
  }
  load_font("/etc/font.psf");
  open_framebuffer();
  int tty = open("/dev/tty1", O_RDWR | O_NOCTTY);
  if (tty < 0) die("/dev/tty1");
  /* The console stops drawing on the framebuffer; keys still come through it. */
  ioctl(tty, KDSETMODE, KD_GRAPHICS);
  if (show_only) {
    present();
    announce();
    return 0;
  }

  /* Listening before the screen shows: a key or click that comes the instant
   * it is drawn (as a tool that waits for the screen sends it) is not lost. */
  struct termios raw;
  tcgetattr(tty, &raw);
  raw.c_lflag &= ~(ICANON | ECHO | ISIG);
  raw.c_iflag &= ~(ICRNL | IXON);
  raw.c_cc[VMIN] = 0;
  raw.c_cc[VTIME] = 0;
  tcsetattr(tty, TCSAFLUSH, &raw);

  int want_cad = !strcmp(expect, "cad");
  if (want_cad) {
    /* Ctrl+Alt+Del (ctrl-alt-del = 0) is a SIGINT to cad_pid: to us, while we wait for it. */
    signal(SIGINT, on_cad);
    FILE *f = fopen("/proc/sys/kernel/cad_pid", "w");
    if (!f) die("cad_pid");
    fprintf(f, "%d\n", getpid());
    fclose(f);
  }
  int click[4] = {-1, -1, -1, -1};
  if (!strncmp(expect, "click:", 6)) parse_rect(expect + 6, click, NULL);
  struct input_absinfo ax, ay;
  int tablet = open_tablet(&ax, &ay);
  /* Where the pointer is now: a click where it already was brings no motion event. */
  int px = 0, py = 0;
  if (tablet >= 0) {
    px = to_screen(ax.value, &ax, width);
    py = to_screen(ay.value, &ay, height);
  }
  present();
  announce();

  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (timeout_s > 0 && now.tv_sec - start.tv_sec >= timeout_s) {
      printf("nothing within %d s\n", timeout_s);
      return 3;
    }
    if (cad) {
      printf("ctrl-alt-delete\n");
      return want_cad ? 0 : 1;
    }
    struct pollfd p[2] = {{tty, POLLIN, 0}, {tablet, POLLIN, 0}};
    if (poll(p, tablet >= 0 ? 2 : 1, 200) < 0 && errno != EINTR) die("poll");
    unsigned char buf[256];
    ssize_t n = (p[0].revents & POLLIN) ? read(tty, buf, sizeof buf) : 0;
    for (ssize_t k = 0; k < n; k++) {
      unsigned char c = buf[k];
      if (!strncmp(expect, "key:", 4)) {
        const char *name = c == '\r' || c == '\n' ? "enter" : c == '\t' ? "tab" : c == ' ' ? "space" : NULL;
        if (c == 27 && n - k >= 5 && !memcmp(buf + k, "\033[19~", 5)) name = "f8";
        printf("key %s\n", name ? name : "other");
        return !strcmp(expect, "key:any") || (name && !strcmp(name, expect + 4)) ? 0 : 1;
      }
      if (strncmp(expect, "text:", 5) && strcmp(expect, "line")) {
        printf("key pressed while waiting for %s\n", expect);
        return 1;
      }
      if (c == '\r' || c == '\n') {
        typed[ntyped] = 0;
        printf("typed: %s\n", typed);
        return !strcmp(expect, "line") || !strcmp(typed, expect + 5) ? 0 : 1;
      }
      if ((c == 0x7f || c == 8) && ntyped > 0) ntyped--;
      else if (c >= 0x20 && c < 0x7f && ntyped < MAX_TEXT - 1) typed[ntyped++] = (char)c;
      else if (c >= 0x80 && ntyped < MAX_TEXT - 1) typed[ntyped++] = '?';
    }
    if (n > 0 && field) draw_field(0);
    struct input_event ev;
    while (tablet >= 0 && (p[1].revents & POLLIN) && read(tablet, &ev, sizeof ev) == sizeof ev) {
      if (ev.type == EV_ABS && ev.code == ABS_X)
        px = to_screen(ev.value, &ax, width);
      if (ev.type == EV_ABS && ev.code == ABS_Y)
        py = to_screen(ev.value, &ay, height);
      if (ev.type == EV_KEY && ev.code == BTN_LEFT && ev.value == 1) {
        printf("clicked at %d,%d\n", px, py);
        if (click[0] < 0) return 1;
        return px >= click[0] && px < click[0] + click[2] && py >= click[1] && py < click[1] + click[3] ? 0 : 1;
      }
    }
  }
}
