// A map state (state.js) as the tests start from: a 448 x 448 canvas over the view
// [-4, 4] x [-4, 4] with the point at `point`, and test digits `points` ({xs, ys, labels})
// when given.
import { MapState } from "../../cvae/latent_map/assets/state.js";

export const VIEW = { bounds: [[-4, 4], [-4, 4]], point: [1, 1], model: "m", plane: "pca",
                      digit: 3, regions: "r", titles: ["z1", "z2"] };

export function mapState({ point = VIEW.point, points = null } = {}) {
  const s = new MapState();
  s.setView({ ...VIEW, point }, false);
  s.setSize(448, 448);
  if (points) {
    s.wantPoints("p");
    s.setPoints("p", { xs: Float32Array.from(points.xs), ys: Float32Array.from(points.ys),
                       labels: Uint8Array.from(points.labels) });
  }
  return s;
}
