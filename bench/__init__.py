"""Benchmarks for microgrid (issue 6): not part of the test suite.

Run everything with ``python -m bench.run`` from the repository root (``--quick`` for a smoke
run, ``--markdown PATH`` to write the table).  One module per idea:

    data      two moons and the shared initial weights (deterministic)
    timing    interleaved rounds, medians, machine description
    floor     the W1 step by hand: closed-form backprop (BP1–BP4) on plain floats
    w1_step   W1, one training step of a 2-16-16-1 MLP, in every engine
    w1_lean   W1 for microgrid and the floor in a process without torch (gc cost context)
    w2_chain  W2, forward + backward time per node of a deep chain
    w3_memory W3, bytes per node (tracemalloc)
    w4_wide   W4, one loss over 100,000 products
    profile_w1  cProfile of microgrid's W1 step
    run       the command line: runs W1–W4, prints the table, checks the targets
"""
