// A .rdp file for Microsoft's remote desktop clients (mstsc, the Mac and
// mobile apps, Remmina): where to connect and as whom. The password is not
// put in it: the client asks, and the user pastes it. Pure.

export function rdpFile(host: string, port: number, user: string): string {
  return [
    `full address:s:${host}:${port}`,
    `username:s:${user}`,
    "prompt for credentials:i:1",
    "screen mode id:i:2",
    "",
  ].join("\r\n");
}
