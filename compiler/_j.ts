import { readFileSync } from "node:fs";
import { compileToModule } from "./index.js";
import { RecordedDisturbance } from "../runtime/plants/disturbance.js";
const src = readFileSync("examples/gros_zanon/linear_mpc.mpcrl", "utf8");
const anchor = JSON.parse(readFileSync("/work/shared/data/anchors/gz_nominal_mpcrl_5000.json", "utf8"));
const { module } = compileToModule(src);
const c = module!.createController();
const plant = module!.createPlant!({ disturbance: new RecordedDisturbance(anchor.noise_e.map((e: number) => [e, 0])) });
let s = plant.reset(69);
let J = 0, viol = 0, fb = 0;
const t0 = performance.now();
for (let t = 0; t < 5000; t++) {
  const act = c.act(s);
  if (act.fallback) fb++;
  const st = plant.step(act.u);
  J += st.cost;
  if (st.info.violations > 0) viol++;
  s = st.observation;
}
console.log("J", J, "anchor", anchor.J, "violating steps", viol, "fallbacks", fb, "ms/step", (performance.now() - t0) / 5000);
