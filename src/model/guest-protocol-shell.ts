// The protocol's paths as shell variables, for the Linux test guest's init:
// the guests read the same list the host agent writes.
import { metadataLabel, metadataPaths } from "./guest-protocol.js";

export function protocolShell(): string {
  const v: Record<string, string> = {
    METADATA_LABEL: metadataLabel,
    META_FIRST_BOOT: metadataPaths.firstBoot,
    META_INSTANCE_ID: metadataPaths.instanceId,
    META_LOCAL_HOSTNAME: metadataPaths.localHostname,
    META_PUBLIC_KEY: metadataPaths.publicKey,
    META_RETRY_GEN_PASSWORD: metadataPaths.retryGenPassword,
    META_PW_ENC: metadataPaths.encryptedPassword,
    META_INTERFACES_DIR: metadataPaths.interface("x").replace(/\/x$/, ""),
    META_EXTRA_HOSTS_DIR: metadataPaths.extraHost("x").replace(/\/x$/, ""),
  };
  return `# Generated from src/model/guest-protocol.ts\n${Object.entries(v)
    .map(([k, val]) => `${k}='${val}'`)
    .join("\n")}\n`;
}
