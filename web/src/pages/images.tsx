// Images: what can be launched, with its OS type, features and size.
import { hardwareWords } from "../../../src/model/image-features.js";
import type { Image } from "../api/types.js";
import { bytes } from "../components/format.js";
import { useList } from "../state/resource.js";

export function ImagesPage() {
  const images = useList<Image>("/images");
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
            <th>Size</th>
            <th>Disk</th>
            <th>State</th>
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
              <td>{i.state}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
