// The account's instances as the pages show them: read once, then kept
// current by the live feed. Each record carries its own updated_at, so a
// late list answer never undoes a newer event.
import { useEffect, useState } from "preact/hooks";
import { listAll } from "../api/client.js";
import type { Instance } from "../api/types.js";

type Listener = () => void;

class InstanceStore {
  private readonly byId = new Map<string, Instance>();
  private readonly listeners = new Set<Listener>();
  loaded = false;
  /** Counts the changes: a page that rendered before its subscription sees whether it missed one. */
  version = 0;

  all(): Instance[] {
    return [...this.byId.values()];
  }

  get(id: string): Instance | undefined {
    return this.byId.get(id);
  }

  /** Takes a record unless the one held is newer. */
  put(i: Instance): void {
    const held = this.byId.get(i.id);
    if (held && held.updated_at > i.updated_at) return;
    this.byId.set(i.id, i);
    this.changed();
  }

  async reload(): Promise<void> {
    const list = await listAll<Instance>("/instances");
    for (const i of list) {
      const held = this.byId.get(i.id);
      if (!held || held.updated_at <= i.updated_at) this.byId.set(i.id, i);
    }
    const listed = new Set(list.map((i) => i.id));
    for (const id of this.byId.keys()) if (!listed.has(id)) this.byId.delete(id);
    this.loaded = true;
    this.changed();
  }

  clear(): void {
    this.byId.clear();
    this.loaded = false;
    this.changed();
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private changed(): void {
    this.version++;
    for (const l of this.listeners) l();
  }
}

export const instances = new InstanceStore();

/** Re-renders the component on every change of the instances. */
export function useInstances(): InstanceStore {
  const [rendered, setRendered] = useState(instances.version);
  useEffect(() => {
    const unsubscribe = instances.subscribe(() => setRendered(instances.version));
    // A live event that came between the first render and this effect changed nothing on screen yet.
    if (instances.version !== rendered) setRendered(instances.version);
    return unsubscribe;
  }, []);
  return instances;
}
