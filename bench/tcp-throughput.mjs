// TCP throughput inside network namespaces, for bench/bridged-throughput.ts:
//   tcp-throughput.mjs sink PORT                 counts what each connection brings; prints "ready", then
//                                                "BYTES SECONDS" when one ends
//   tcp-throughput.mjs source HOST PORT SECONDS  sends as fast as the path takes for SECONDS, then ends
import net from "node:net";

const [mode, a, b, c] = process.argv.slice(2);
if (mode === "sink") {
  net
    .createServer((s) => {
      let bytes = 0;
      let first = 0;
      s.on("data", (d) => {
        if (!first) first = performance.now();
        bytes += d.length;
      });
      s.on("end", () => console.log(`${bytes} ${(performance.now() - first) / 1000}`));
    })
    .listen(Number(a), "0.0.0.0", () => console.log("ready"));
} else {
  const chunk = Buffer.alloc(1 << 16, 7);
  const socket = net.connect(Number(b), a, () => {
    const end = performance.now() + Number(c) * 1000;
    const pump = () => {
      while (performance.now() < end) if (!socket.write(chunk)) return socket.once("drain", pump);
      socket.end();
    };
    pump();
  });
  socket.on("close", () => process.exit(0));
  socket.on("error", (err) => {
    console.error(err.message);
    process.exit(1);
  });
}
