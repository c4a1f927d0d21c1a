// The RFB client: one state machine for the protocol (RFB 3.8, falling back
// to 3.7 and 3.3) — version, security (None, VNC authentication), init, then
// the server's messages — with each encoding's decoder in decoders/. It keeps
// the framebuffer up to date by asking for the next incremental update as
// soon as one has come (QEMU sends none unasked), and sends keys by scancode
// (QEMU's extended key event) and the pointer at absolute positions.
import { EventEmitter } from "node:events";
import { connect, type Socket } from "node:net";
import { blankImage, type Image, type Rect } from "../image/image.js";
import { copyRectDecoder } from "./decoders/copy-rect.js";
import { checkInside, type Decoder, ProtocolError } from "./decoders/decoder.js";
import { rawDecoder } from "./decoders/raw.js";
import { TightDecoder } from "./decoders/tight.js";
import { ZrleDecoder } from "./decoders/zrle.js";
import { defaultEncodings, Encoding, type PixelEncoding } from "./encodings.js";
import * as msg from "./messages.js";
import { SocketReader } from "./socket-reader.js";
import { vncAuthResponse } from "./vnc-auth.js";

export type RfbVersion = "3.3" | "3.7" | "3.8";

export interface RfbOptions {
  /** For servers that ask for VNC authentication. */
  password?: string;
  /** The highest version to speak (3.8 unless a test wants the older handshakes). */
  maxVersion?: RfbVersion;
  /** Pixel encodings to ask for, the preferred first. */
  encodings?: readonly PixelEncoding[];
  /** Time for the connection and the handshake, in ms. */
  timeoutMs?: number;
}

/** Keyboard LEDs, as the guest last set them (LED state pseudo-encoding). */
export interface Leds {
  scrollLock: boolean;
  numLock: boolean;
  capsLock: boolean;
}

export class VncError extends Error {}

const versionRank: Record<RfbVersion, number> = { "3.3": 3, "3.7": 7, "3.8": 8 };

export class RfbClient extends EventEmitter<{
  update: [Rect[]];
  resize: [number, number];
  leds: [Leds];
  close: [Error | undefined];
}> {
  framebuffer: Image;
  name = "";
  version: RfbVersion = "3.8";
  /** The guest's keyboard LEDs, once the server has told them. */
  leds: Leds | undefined;
  /** Whether the server said it takes keys by scancode. */
  scancodes = false;
  /** Framebuffer updates received so far. */
  updates = 0;
  /** When the last update's first byte was read (performance.now()): where a reaction's time starts. */
  updateStartedAt = 0;
  private readonly reader: SocketReader;
  private readonly decoders = new Map<number, Decoder>();
  private closed: Error | undefined | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly options: RfbOptions,
  ) {
    super();
    this.reader = new SocketReader(socket);
    this.framebuffer = blankImage(0, 0);
    socket.setNoDelay(true);
    socket.on("close", () => this.finish(undefined));
    socket.on("error", (err) => this.finish(new VncError(`VNC connection failed: ${err.message}`)));
  }

  /** Connects to host:port and does the handshake; the first full update is asked for. */
  static async connect(address: string, options: RfbOptions = {}): Promise<RfbClient> {
    const { host, port } = parseAddress(address);
    const timeoutMs = options.timeoutMs ?? 10_000;
    const socket = connect({ host, port });
    const client = new RfbClient(socket, options);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        socket.destroy();
        reject(new VncError(`no VNC handshake with ${address} within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      await Promise.race([client.handshake(address), timeout]);
    } catch (err) {
      socket.destroy();
      throw err instanceof VncError ? err : new VncError(`VNC ${address}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    void client.run();
    return client;
  }

  /** Resolves when the connection has ended (null while it is open). */
  get closedWith(): Error | undefined | null {
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }

  requestUpdate(incremental: boolean): void {
    this.send(msg.updateRequest(incremental, this.framebuffer.width, this.framebuffer.height));
  }

  /** A key by scancode when the server takes them (QEMU does), else by keysym alone. */
  key(keysym: number, scancode: number, down: boolean): void {
    this.send(this.scancodes ? msg.qemuKeyEvent(keysym, scancode, down) : msg.keyEvent(keysym, down));
  }

  pointer(x: number, y: number, buttons: number): void {
    this.send(msg.pointerEvent(x, y, buttons));
  }

  private send(bytes: Buffer): void {
    if (this.closed !== null) throw new VncError("the VNC connection is closed");
    this.socket.write(bytes);
  }

  private finish(err: Error | undefined): void {
    if (this.closed !== null) return;
    this.closed = err;
    this.emit("close", err);
  }

  private async handshake(address: string): Promise<void> {
    const greeting = (await this.reader.read(12)).toString("latin1");
    const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(greeting);
    if (!m) throw new VncError(`${address} is not a VNC server (it said ${JSON.stringify(greeting)})`);
    const [major, minor] = [Number(m[1]), Number(m[2])];
    const offered: RfbVersion = major > 3 || minor >= 8 ? "3.8" : minor === 7 ? "3.7" : "3.3";
    const max = this.options.maxVersion ?? "3.8";
    this.version = versionRank[offered] < versionRank[max] ? offered : max;
    this.socket.write(`RFB 003.00${this.version.slice(2)}\n`);

    const type = await this.securityType();
    if (type === 2) {
      if (this.options.password === undefined)
        throw new VncError(`${address} asks for a VNC password: give it (--vnc-password)`);
      this.socket.write(vncAuthResponse(this.options.password, await this.reader.read(16)));
    }
    // 3.8 always says how security went; 3.3 and 3.7 only after a password.
    if (type === 2 || this.version === "3.8") {
      if ((await this.reader.u32()) !== 0) {
        const why = this.version === "3.8" ? await this.reason() : "";
        throw new VncError(
          type === 2
            ? `${address} refused the VNC password${why ? `: ${why}` : ""}`
            : `${address} refused the connection${why ? `: ${why}` : ""}`,
        );
      }
    }
    this.socket.write(Buffer.from([1])); // shared: the user may watch the same console
    const init = await this.reader.read(24);
    this.framebuffer = blankImage(init.readUInt16BE(0), init.readUInt16BE(2));
    this.name = (await this.reader.read(init.readUInt32BE(20))).toString("utf8");

    const wanted = this.options.encodings ?? defaultEncodings;
    const decoders: Record<PixelEncoding, Decoder> = {
      raw: rawDecoder,
      copyRect: copyRectDecoder,
      zrle: new ZrleDecoder(),
      tight: new TightDecoder(),
    };
    for (const e of wanted) this.decoders.set(Encoding[e], decoders[e]);
    if (!this.decoders.has(Encoding.raw)) this.decoders.set(Encoding.raw, rawDecoder);
    this.socket.write(msg.setPixelFormat());
    this.socket.write(
      msg.setEncodings([
        ...wanted.map((e) => Encoding[e]),
        Encoding.desktopSize,
        Encoding.extendedDesktopSize,
        Encoding.lastRect,
        Encoding.qemuExtendedKeyEvent,
        Encoding.ledState,
      ]),
    );
    this.requestUpdate(false);
  }

  private async securityType(): Promise<number> {
    const supported = [1, 2];
    if (this.version === "3.3") {
      const type = await this.reader.u32();
      if (type === 0) throw new VncError(`the VNC server refused the connection: ${await this.reason()}`);
      if (!supported.includes(type))
        throw new VncError(
          `the VNC server wants security type ${type}; we speak None (1) and VNC authentication (2)`,
        );
      return type;
    }
    const count = await this.reader.u8();
    if (count === 0) throw new VncError(`the VNC server refused the connection: ${await this.reason()}`);
    const types = [...(await this.reader.read(count))];
    const type = types.includes(1) ? 1 : types.includes(2) ? 2 : undefined;
    if (type === undefined)
      throw new VncError(
        `the VNC server offers security types ${types.join(", ")}; we speak None (1) and VNC authentication (2)`,
      );
    this.socket.write(Buffer.from([type]));
    return type;
  }

  private async reason(): Promise<string> {
    return (await this.reader.read(await this.reader.u32())).toString("utf8");
  }

  /** The server's messages, until the connection ends. */
  private async run(): Promise<void> {
    try {
      for (;;) {
        const type = await this.reader.u8();
        if (type === msg.ServerMessage.framebufferUpdate) {
          this.updateStartedAt = performance.now();
          await this.framebufferUpdate();
        } else if (type === msg.ServerMessage.setColourMapEntries) {
          // Not used with a true-colour pixel format.
          const head = await this.reader.read(5);
          await this.reader.read(head.readUInt16BE(3) * 6);
        } else if (type === msg.ServerMessage.bell) {
          // Nothing to ring.
        } else if (type === msg.ServerMessage.serverCutText) {
          await this.reader.read(3);
          await this.reader.read(await this.reader.u32());
        } else throw new ProtocolError(`the VNC server sent the unknown message type ${type}`);
      }
    } catch (err) {
      if (this.closed === null) {
        this.finish(err instanceof ProtocolError ? new VncError(err.message) : undefined);
        this.socket.destroy();
      }
    }
  }

  private async framebufferUpdate(): Promise<void> {
    const count = (await this.reader.read(3)).readUInt16BE(1);
    const damaged: Rect[] = [];
    for (let i = 0; i < count; i++) {
      const h = await this.reader.read(12);
      const rect = {
        x: h.readUInt16BE(0),
        y: h.readUInt16BE(2),
        width: h.readUInt16BE(4),
        height: h.readUInt16BE(6),
      };
      const encoding = h.readInt32BE(8);
      if (encoding === Encoding.lastRect) break;
      if (encoding === Encoding.desktopSize) this.resize(rect.width, rect.height);
      else if (encoding === Encoding.extendedDesktopSize) {
        const screens = (await this.reader.read(4))[0]!;
        await this.reader.read(screens * 16);
        // y is the status of a size the client asked for; 0 is a change of the server's own.
        if (rect.y === 0) this.resize(rect.width, rect.height);
      } else if (encoding === Encoding.qemuExtendedKeyEvent) this.scancodes = true;
      else if (encoding === Encoding.ledState) {
        const b = await this.reader.u8();
        this.leds = { scrollLock: !!(b & 1), numLock: !!(b & 2), capsLock: !!(b & 4) };
        this.emit("leds", this.leds);
      } else {
        const decoder = this.decoders.get(encoding);
        if (!decoder)
          throw new ProtocolError(`the VNC server sent encoding ${encoding}, which was not asked for`);
        // Checked before any byte of it is read or any pixel written: the decoders draw inside it.
        checkInside(this.framebuffer, rect);
        if (rect.width > 0 && rect.height > 0) await decoder.decode(rect, this.reader, this.framebuffer);
        damaged.push(rect);
      }
    }
    this.updates++;
    this.requestUpdate(true);
    this.emit("update", damaged);
  }

  private resize(width: number, height: number): void {
    // QEMU repeats the screen's size in answer to every full update request.
    if (width === this.framebuffer.width && height === this.framebuffer.height) return;
    this.framebuffer = blankImage(width, height);
    this.emit("resize", width, height);
    // The new screen is sent whole only when asked for whole.
    this.requestUpdate(false);
  }
}

/** host:port, [v6]:port, or QEMU's display number form host:N (N below 100). */
export function parseAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(address.trim());
  if (!m) throw new VncError(`'${address}' is not a VNC address: give host:port, for example 127.0.0.1:5900`);
  const n = Number(m[3]);
  const port = n < 100 ? 5900 + n : n;
  if (port > 65535) throw new VncError(`'${address}': the port ${port} is out of range`);
  return { host: m[1] ?? m[2]!, port };
}
