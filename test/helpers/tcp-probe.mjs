// TCP inside a network namespace, for test/helpers/netns.ts:
//   tcp-probe.mjs listen PORT              answers every connection with "hi", prints "ready"
//   tcp-probe.mjs connect HOST PORT MS     exit 0 when answered within MS, else 1
import net from "node:net";

const [mode, a, b, c] = process.argv.slice(2);
if (mode === "listen") {
  net.createServer((s) => s.end("hi\n")).listen(Number(a), "0.0.0.0", () => console.log("ready"));
} else {
  const socket = net.connect(Number(b), a);
  setTimeout(() => process.exit(1), Number(c));
  socket.on("data", () => process.exit(0));
  socket.on("error", () => process.exit(1));
}
