"""Password hashing: Argon2id at the parameters OWASP recommends (ADR 0012).

Django's own Argon2 defaults (100 MiB, 8 lanes) and its PBKDF2 default (1,000,000 iterations) each
cost about 200 ms of CPU per sign-in on a 2-CPU server; under load half of the service's CPU went
on them. OWASP's Password Storage Cheat Sheet lists Argon2id with 19 MiB of memory, 2 iterations
and 1 lane as a recommended configuration, as strong against offline guessing as its alternatives
(PBKDF2-HMAC-SHA256 at 600,000 iterations among them), at about 25 ms here. Being memory-hard it
also costs an attacker's GPUs far more than PBKDF2 does.

The algorithm name stays "argon2", and the parameters travel in every hash: a stored hash made
with other parameters, or by PBKDF2 (still listed in settings to verify old hashes), is upgraded
at the user's next sign-in.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2idPasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB: 19 MiB
    parallelism = 1
