// A dialog's request and what comes back of it: busy while it is under way,
// dcmgr's refusal put under the field it names (the API's `field`, mapped
// to the form's by `fieldNamed`), else below all fields.
import { useState } from "preact/hooks";
import { ApiProblem } from "../api/client.js";

export function useFormRequest<F extends string>(fieldNamed: (field: string | undefined) => F | null) {
  const [errors, setErrors] = useState<Partial<Record<F, string>>>({});
  const [general, setGeneral] = useState("");
  const [busy, setBusy] = useState(false);
  /** The form's submit handler: `send` unless `blocker` says why not, or a request is under way. */
  const submit = (blocker: string | null, send: () => Promise<void>) => async (e: Event) => {
    e.preventDefault();
    if (blocker || busy) return;
    setBusy(true);
    setErrors({});
    setGeneral("");
    try {
      await send();
    } catch (err) {
      const message = (err as Error).message;
      const field = err instanceof ApiProblem ? fieldNamed(err.field) : null;
      if (field) setErrors({ [field]: message } as Partial<Record<F, string>>);
      else setGeneral(message);
      setBusy(false);
    }
  };
  return { errors, setErrors, general, busy, submit };
}
