// Rows as the product shows them (API responses, `--json`): flags as booleans,
// JSON columns as objects. The API and the CLIs print these, never raw rows.
import type { Selectable } from "kysely";
import { type HostCapabilities, unreportedCapabilities } from "../model/host-capabilities.js";
import type {
  BackupObjectsTable,
  BackupStoragesTable,
  HostNodesTable,
  ImagesTable,
  InstanceSpecsTable,
  NetworksTable,
  SecurityGroupsTable,
  SshKeyPairsTable,
} from "./schema.js";

export const flag = (value: boolean): number => (value ? 1 : 0);

export function hostNodeRecord(row: Selectable<HostNodesTable>) {
  const { scheduling_enabled, capabilities, ...rest } = row;
  return {
    ...rest,
    scheduling_enabled: scheduling_enabled === 1,
    capabilities: hostCapabilities(capabilities),
  };
}

/** A host's capabilities as stored; before its agent reported, what every host could run before. */
export function hostCapabilities(stored: string | null): HostCapabilities {
  return stored === null ? unreportedCapabilities : (JSON.parse(stored) as HostCapabilities);
}

export function backupStorageRecord(row: Selectable<BackupStoragesTable>) {
  return { ...row };
}

export function backupObjectRecord(row: Selectable<BackupObjectsTable>) {
  return { ...row };
}

export function imageRecord(row: Selectable<ImagesTable>) {
  const { is_public, is_cacheable, generalized, features, ...rest } = row;
  return {
    ...rest,
    is_public: is_public === 1,
    is_cacheable: is_cacheable === 1,
    generalized: generalized === 1,
    features: JSON.parse(features) as Record<string, boolean>,
  };
}

export function instanceSpecRecord(row: Selectable<InstanceSpecsTable>) {
  return { ...row };
}

export function networkRecord(row: Selectable<NetworksTable>) {
  return { ...row };
}

export function sshKeyPairRecord(row: Selectable<SshKeyPairsTable>) {
  return { ...row };
}

export function securityGroupRecord(row: Selectable<SecurityGroupsTable>) {
  return { ...row };
}
