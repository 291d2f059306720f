"""The CPU one sign-in costs in password hashing: Argon2id at the parameters of
docs/adr/0012-argon2id-at-owasp-parameters.md (core.hashers.OwaspArgon2idPasswordHasher),
measured as process CPU time (time.process_time), not wall-clock, so other work on the machine
inflates it less. Prints the median and 95th percentile of hashing and of verifying.

    python bench/bench_signin.py [rounds]

The queries a sign-in POST makes (django-axes' bookkeeping included) are pinned by
tests/core/test_signin_queries.py, not measured here.
"""

import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lsp_portal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import django

django.setup()

from core.hashers import OwaspArgon2idPasswordHasher  # noqa: E402


def cpu_ms(work, rounds: int) -> list[float]:
    taken = []
    for _ in range(rounds):
        started = time.process_time()
        work()
        taken.append((time.process_time() - started) * 1000)
    return sorted(taken)


def main(rounds: int = 50) -> None:
    hasher = OwaspArgon2idPasswordHasher()
    encoded = hasher.encode("correct horse battery staple", hasher.salt())
    print(f"Argon2id, {hasher.memory_cost // 1024} MiB, time cost {hasher.time_cost}, "
          f"{hasher.parallelism} lane: {rounds} rounds, process CPU ms")
    for name, work in (
        ("hash", lambda: hasher.encode("correct horse battery staple", hasher.salt())),
        ("verify", lambda: hasher.verify("correct horse battery staple", encoded)),
    ):
        taken = cpu_ms(work, rounds)
        p95 = taken[min(len(taken) - 1, int(0.95 * len(taken)))]
        print(f"  {name:<7} median {statistics.median(taken):6.1f}  p95 {p95:6.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
