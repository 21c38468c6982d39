// Learning-rate (and exploration-strength) schedules, stepped once per update (or per episode).

export type ScheduleSpec =
  | { readonly kind: "constant"; readonly value: number }
  | { readonly kind: "exponential"; readonly value: number; readonly factor: number }
  | { readonly kind: "linear"; readonly value: number; readonly end: number; readonly steps: number };

export class Schedule {
  private k = 0;
  constructor(readonly spec: ScheduleSpec) {}

  get value(): number {
    const s = this.spec;
    switch (s.kind) {
      case "constant":
        return s.value;
      case "exponential":
        return s.value * Math.pow(s.factor, this.k);
      case "linear":
        return this.k >= s.steps ? s.end : s.value + ((s.end - s.value) * this.k) / s.steps;
    }
  }

  step(): void {
    this.k++;
  }

  get count(): number {
    return this.k;
  }

  set count(k: number) {
    this.k = k;
  }
}

export function constant(value: number): Schedule {
  return new Schedule({ kind: "constant", value });
}
