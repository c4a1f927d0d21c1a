// Every command starts here, in syntax any Node.js reads: on one older than
// 20 it says so and stops, rather than failing somewhere inside.
export function checkNode(command) {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= 20) return;
  process.stderr.write(
    `${command}: needs Node.js 20 or newer, and ${process.execPath} is ${process.version}: ` +
      "install nodejs 20 or newer (Debian 12's own nodejs is 18), then run it again\n",
  );
  process.exit(1);
}
