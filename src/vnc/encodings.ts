// RFB encoding numbers (RFB 3.8 and the registered extensions QEMU speaks).
export const Encoding = {
  raw: 0,
  copyRect: 1,
  tight: 7,
  zrle: 16,
  // pseudo-encodings: capabilities the client announces, rectangles that carry no pixels
  desktopSize: -223,
  lastRect: -224,
  extendedDesktopSize: -308,
  qemuExtendedKeyEvent: -258,
  ledState: -261,
} as const;

export type PixelEncoding = "raw" | "copyRect" | "tight" | "zrle";

/** What the client asks for by default: the compressed lossless encodings first. */
export const defaultEncodings: readonly PixelEncoding[] = ["zrle", "tight", "copyRect", "raw"];
