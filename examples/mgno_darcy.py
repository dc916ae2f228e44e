"""MgNO on Darcy flow: generate data with geometric multigrid, train, test, plot.

Generates random piecewise-constant coefficients ``a`` (contrast 4) and the solutions of
``-div(a grad u) = 1`` on the unit square with ``solvers.mgno.darcy_dataset`` (the
geometric multigrid solver of part 1), trains ``solvers.mgno.MgNO`` with Adam on the
relative L2 loss (hand-written backpropagation), prints the test error and the time per epoch,
and saves ``mgno_darcy.png``: coefficient, truth, prediction and error for three test samples.

Run ``python examples/mgno_darcy.py`` (the issue's setting: 63x63 interior grid, 1000 training
and 100 test samples) or ``--quick`` for a small check. On a shared machine set
``OPENBLAS_NUM_THREADS=1``: BLAS threads fighting for cores slow the small matrix products
of the network by an order of magnitude.
"""

import argparse
import time

import numpy as np

from solvers.mgno import MgNO, darcy_dataset


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=63, help="interior grid size (2**k - 1)")
    parser.add_argument("--train", type=int, default=1000)
    parser.add_argument("--test", type=int, default=100)
    parser.add_argument("--width", type=int, default=12)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--levels", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--max-time", type=float, default=None, help="seconds of training")
    parser.add_argument("--quick", action="store_true", help="15x15 grid, 100/20 samples")
    parser.add_argument("--out", default="mgno_darcy.png")
    args = parser.parse_args()
    if args.quick:
        args.n, args.train, args.test, args.width, args.depth = 15, 100, 20, 8, 3
        args.levels, args.epochs = 3, 5

    t0 = time.perf_counter()
    a, u = darcy_dataset(args.train + args.test, (args.n, args.n), contrast=4.0, rng=0)
    print(f"data: {args.train} + {args.test} samples on {args.n}x{args.n} in "
          f"{time.perf_counter() - t0:.1f} s (geometric multigrid + CG)")
    a_train, u_train = a[:args.train], u[:args.train]
    a_test, u_test = a[args.train:], u[args.train:]

    net = MgNO(1, 1, width=args.width, depth=args.depth, levels=args.levels, rng=0,
               dtype=np.float32)
    print(f"MgNO: width {args.width}, depth {args.depth}, levels {args.levels}, "
          f"{net.n_params} parameters")

    def report(r):
        print(f"epoch {r.epoch:3d}  train rel. L2 {r.train_loss:.4f}  test rel. L2 "
              f"{r.test_error:.4f}", flush=True)

    res = net.fit(a_train, u_train, epochs=args.epochs, batch_size=args.batch, lr=args.lr,
                  f_test=a_test, u_test=u_test, rng=0, callback=report,
                  max_time=args.max_time)
    error = net.score(a_test, u_test)
    print(f"{res.message}; time per epoch {res.time_per_epoch:.1f} s "
          f"({1e3 * res.time_per_epoch / args.train:.1f} ms per training sample)")
    print(f"test relative L2 error: {error:.4f} (issue target <= 0.05)")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pred = net.predict(a_test[:3])
    fig, axes = plt.subplots(3, 4, figsize=(12, 9))
    for row in range(3):
        panels = [(a_test[row], "coefficient a"), (u_test[row], "truth u"),
                  (pred[row], "MgNO prediction"), (pred[row] - u_test[row], "error")]
        for col, (img, title) in enumerate(panels):
            ax = axes[row, col]
            im = ax.imshow(img, origin="lower", cmap="RdBu_r" if col == 3 else "viridis")
            ax.set_title(title)
            ax.set_xticks([])
            ax.set_yticks([])
            fig.colorbar(im, ax=ax, fraction=0.046)
    fig.suptitle(f"MgNO on Darcy flow {args.n}x{args.n}: test relative L2 error {error:.3f}")
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
