// The instance's console in the page: noVNC over the WebSocket dcmgr joins
// to the host agent's tunnel (routes/console.ts). A ticket from an
// authorised call opens it; Ctrl+Alt+Del and "type password" are buttons,
// as a browser cannot send either itself.
import RFB from "@novnc/novnc";
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api/client.js";
import type { Instance } from "../api/types.js";
import { passwords } from "../state/passwords.js";
import { layoutNames, typeText } from "./type-text.js";

/** What the page says for dcmgr's close codes (routes/console.ts); others show their reason. */
const closeWords: Record<number, string> = {
  4403: "the console ticket was refused: open the console again",
  4504: "the host agent did not open the console: is its hva running?",
};

type Status = { kind: "connecting" } | { kind: "connected" } | { kind: "closed"; why: string };

export function ConsolePanel(props: { instance: Instance; onClose: () => void }) {
  const screen = useRef<HTMLDivElement>(null);
  const rfb = useRef<RFB | null>(null);
  const [status, setStatus] = useState<Status>({ kind: "connecting" });
  const [layout, setLayout] = useState("us");
  const [typing, setTyping] = useState("");
  const id = props.instance.id;

  useEffect(() => {
    let closed = false;
    let lastClose: CloseEvent | null = null;
    (async () => {
      try {
        const { socket } = await api<{ socket: string }>("POST", `/instances/${id}/console`);
        if (closed) return;
        const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${socket}`;
        // Our own socket, handed to noVNC, so that dcmgr's reason for closing it can be shown.
        const ws = new WebSocket(url);
        ws.addEventListener("close", (e) => {
          lastClose = e;
        });
        const r = new RFB(screen.current!, ws, { shared: true });
        r.scaleViewport = true;
        r.background = "#111";
        r.addEventListener("connect", () => setStatus({ kind: "connected" }));
        r.addEventListener("disconnect", () => {
          const why = lastClose
            ? (closeWords[lastClose.code] ?? (lastClose.reason || "the connection to the console ended"))
            : "the connection to the console ended";
          setStatus({ kind: "closed", why });
        });
        rfb.current = r;
      } catch (err) {
        setStatus({ kind: "closed", why: (err as Error).message });
      }
    })();
    return () => {
      closed = true;
      rfb.current?.disconnect();
      rfb.current = null;
    };
  }, [id]);

  const password = passwords.get(id);
  const connected = status.kind === "connected";
  return (
    <div class="console">
      <div class="console-bar">
        <span role="status" data-console-status={status.kind}>
          {status.kind === "connecting"
            ? "connecting…"
            : status.kind === "connected"
              ? "connected"
              : status.why}
        </span>
        <span class="spacer" />
        <button
          type="button"
          class="small"
          disabled={!connected}
          onClick={() => rfb.current?.sendCtrlAltDel()}
        >
          Ctrl+Alt+Del
        </button>
        <label class="inline">
          keyboard
          <select value={layout} onChange={(e) => setLayout(e.currentTarget.value)}>
            {layoutNames.map((l) => (
              <option value={l}>{l}</option>
            ))}
          </select>
        </label>
        <button
          type="button"
          class="small"
          disabled={!connected || !password || typing === "typing"}
          title={password ? "Types the decrypted password as key presses" : "Decrypt the password first"}
          onClick={async () => {
            setTyping("typing");
            try {
              await typeText(rfb.current!, password!, layout);
              rfb.current?.focus();
              setTyping("");
            } catch (err) {
              setTyping((err as Error).message);
            }
          }}
        >
          {typing === "typing" ? "Typing…" : "Type password"}
        </button>
        <button type="button" class="small" onClick={props.onClose}>
          Close console
        </button>
      </div>
      {typing && typing !== "typing" && <p class="error">{typing}</p>}
      <div class="screen" ref={screen} data-testid="console-screen" />
    </div>
  );
}
