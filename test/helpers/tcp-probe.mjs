// TCP inside a network namespace, for test/helpers/netns.ts:
//   tcp-probe.mjs listen PORT              answers every connection with "hi", prints "ready"
//   tcp-probe.mjs connect HOST PORT MS     exit 0 when answered within MS, else 1
//   tcp-probe.mjs hold HOST PORT           one connection kept open ("connected" once it is): each
//                                          line on stdin is sent, each line the server says is
//                                          printed ("closed" when it ends)
//   tcp-probe.mjs ask HOST PORT LINE MS    sends LINE, prints the answer; exit 0 when answered within MS
import net from "node:net";

const [mode, a, b, c] = process.argv.slice(2);
if (mode === "listen") {
  // "hi" to a probe that only connects; an echo of every line to one that holds its connection.
  net
    .createServer((s) => {
      s.write("hi\n");
      s.pipe(s);
    })
    .listen(Number(a), "0.0.0.0", () => console.log("ready"));
} else if (mode === "hold") {
  const socket = net.connect(Number(b), a, () => console.log("connected"));
  socket.setEncoding("utf8");
  socket.on("data", (d) => process.stdout.write(d));
  socket.on("close", () => console.log("closed"));
  socket.on("error", () => {});
  process.stdin.on("data", (d) => socket.write(d));
} else if (mode === "ask") {
  const ms = Number(process.argv[6]);
  const socket = net.connect(Number(b), a, () => socket.write(`${c}\n`));
  setTimeout(() => process.exit(1), ms);
  socket.setEncoding("utf8");
  socket.on("data", (d) => {
    process.stdout.write(d);
    process.exit(0);
  });
  socket.on("error", () => process.exit(1));
} else {
  const socket = net.connect(Number(b), a);
  setTimeout(() => process.exit(1), Number(c));
  socket.on("data", () => process.exit(0));
  socket.on("error", () => process.exit(1));
}
