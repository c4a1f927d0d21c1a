// The protocol's paths and password rules as script variables, for the
// guests: a shell file for the Linux test guest's init, a PowerShell file for
// the Windows scripts. Both read the list the host agent writes, from here.
import {
  interfaceFiles as interfaceFileNames,
  metadataLabel,
  metadataPaths,
  passwordRules,
} from "./guest-protocol.js";

/** Name to value; the names are valid in sh and in PowerShell (as $NAME). */
export function protocolVariables(): Record<string, string | number> {
  const dirOf = (path: string) => path.replace(/\/x$/, "");
  return {
    METADATA_LABEL: metadataLabel,
    META_FIRST_BOOT: metadataPaths.firstBoot,
    META_INSTANCE_ID: metadataPaths.instanceId,
    META_LOCAL_HOSTNAME: metadataPaths.localHostname,
    META_LOCAL_IPV4: metadataPaths.localIpv4,
    META_PUBLIC_KEY: metadataPaths.publicKey,
    META_ENABLE_FIREWALL: metadataPaths.enableFirewall,
    META_AUTO_ACTIVATE: metadataPaths.autoActivate,
    META_AUTO_ACTIVATE_PROXY: metadataPaths.autoActivateProxy,
    META_AUTO_ACTIVATE_KMS_HOST: metadataPaths.autoActivateKmsHost,
    META_PRODUCT_KEY: metadataPaths.productKey,
    META_RETRY_GEN_PASSWORD: metadataPaths.retryGenPassword,
    META_SYSPREP_FOR_BACKUP: metadataPaths.sysprepForBackup,
    META_PW_ENC: metadataPaths.encryptedPassword,
    META_INTERFACES_DIR: dirOf(metadataPaths.interface("x")),
    META_EXTRA_HOSTS_DIR: dirOf(metadataPaths.extraHost("x")),
    IF_IPV4: interfaceFileNames.ipv4,
    IF_NETMASK: interfaceFileNames.netmask,
    IF_GATEWAY: interfaceFileNames.gateway,
    IF_DNS: interfaceFileNames.dns,
    PASSWORD_LENGTH: passwordRules.length,
    PASSWORD_ALPHABET: passwordRules.alphabet,
    PASSWORD_MIN_NON_ALPHANUMERIC: passwordRules.minNonAlphanumeric,
    PASSWORD_DEFAULT_RETRIES: passwordRules.defaultRetries,
  };
}

const header = (comment: string) => `${comment} Generated from src/model/guest-protocol.ts: do not edit.\n`;

export function protocolShell(): string {
  const lines = Object.entries(protocolVariables()).map(([k, v]) => `${k}='${v}'`);
  return `${header("#")}${lines.join("\n")}\n`;
}

/** wakame-protocol.ps1: Windows paths (backslashes) under the METADATA drive's root. */
export function protocolPowerShell(): string {
  const lines = Object.entries(protocolVariables()).map(([k, v]) =>
    typeof v === "number" ? `$${k} = ${v}` : `$${k} = '${v.replaceAll("/", "\\")}'`,
  );
  return `${header("#")}${lines.join("\r\n")}\r\n`;
}
