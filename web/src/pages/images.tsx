// Images: what can be launched, with its OS type, features, size, whether
// it was generalized and its state (with the progress of a backup writing
// it, or why it failed); the account's own can be deleted, their backup
// object (the stored file) with them when asked. What refuses a deletion
// (an instance running from the image, another account's image) is dcmgr's
// word, shown in the dialog. The list is read again every 2 s while an image
// is being written, and only then.
import { useEffect, useState } from "preact/hooks";
import { hardwareWords } from "../../../src/model/image-features.js";
import { api } from "../api/client.js";
import type { Image } from "../api/types.js";
import {
  anyImageCreating,
  generalizedWords,
  imageStateWords,
  imagesPollMs,
} from "../backup/backup-progress.js";
import { bytes } from "../components/format.js";
import { Confirm } from "../components/modal.js";
import { useList } from "../state/resource.js";

export function ImagesPage() {
  const images = useList<Image>("/images");
  const [deleting, setDeleting] = useState<Image | null>(null);
  const creating = anyImageCreating(images.rows);
  useEffect(() => {
    if (!creating) return;
    const t = setInterval(() => void images.reload(), imagesPollMs);
    return () => clearInterval(t);
  }, [creating, images.reload]);
  return (
    <section>
      <header class="page">
        <h1>Images</h1>
      </header>
      {images.error && <p class="error">{images.error}</p>}
      <table class="list" aria-label="Images">
        <thead>
          <tr>
            <th>Image</th>
            <th>OS type</th>
            <th>Features</th>
            <th>Format</th>
            <th>Disk</th>
            <th>File</th>
            <th>Generalized</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(images.rows ?? []).map((i) => (
            <tr key={i.id}>
              <td>
                {i.id}
                <div class="sub">{i.display_name}</div>
              </td>
              <td>{i.os_type}</td>
              <td>
                {Object.entries(i.features)
                  .filter(([, on]) => on)
                  .map(([f]) => f)
                  .join(", ") || "none"}
                <div class="sub">{hardwareWords(i.features)}</div>
              </td>
              <td>{i.file_format}</td>
              <td>{bytes(i.size)}</td>
              <td>{bytes(i.allocation_size)}</td>
              <td>{generalizedWords(i)}</td>
              <td data-image-state={i.state}>
                {imageStateWords(i)}
                {i.state === "creating" && (
                  <progress max={100} value={i.progress ?? 0} aria-label={`${i.id} written`} />
                )}
                {i.error && <div class="sub error">{i.error}</div>}
              </td>
              <td>
                <button type="button" class="danger small" onClick={() => setDeleting(i)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {deleting && (
        <DeleteImage image={deleting} onDeleted={images.reload} onClose={() => setDeleting(null)} />
      )}
    </section>
  );
}

function DeleteImage(props: { image: Image; onDeleted: () => Promise<void>; onClose: () => void }) {
  const { image } = props;
  const [withObject, setWithObject] = useState(false);
  return (
    <Confirm
      title={`Delete ${image.id}?`}
      message={
        <>
          Instances can no longer be launched from it.
          <label class="inline">
            <input
              type="checkbox"
              checked={withObject}
              onChange={(e) => setWithObject((e.target as HTMLInputElement).checked)}
            />{" "}
            Also delete its backup object {image.backup_object_id} (the stored file)
          </label>
        </>
      }
      action="Delete"
      onConfirm={async () => {
        await api("DELETE", `/images/${image.id}`);
        await props.onDeleted();
        if (withObject)
          await api("DELETE", `/backup_objects/${image.backup_object_id}`).catch((err: Error) => {
            throw new Error(`${image.id} is deleted; its backup object is kept: ${err.message}`);
          });
      }}
      onClose={props.onClose}
    />
  );
}
