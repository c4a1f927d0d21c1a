// A list a page reads on opening (images, keys, groups, hosts) and again
// after it changes one: its rows, the error if the read failed, and reload.
import { useCallback, useEffect, useState } from "preact/hooks";
import { listAll } from "../api/client.js";

export interface Resource<T> {
  rows: T[] | null;
  error: string | null;
  reload(): Promise<void>;
}

export function useList<T>(path: string): Resource<T> {
  const [rows, setRows] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setRows(await listAll<T>(path));
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  }, [path]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { rows, error, reload };
}
