# Shared by bench/run.sh and bench/nts.sh (sourced, from the repository root).

# free_port: a random high port free for UDP and TCP on 127.0.0.1.
free_port() {
    /usr/bin/python3 -c '
import random, socket
for _ in range(200):
    p = random.randint(20000, 60000)
    try:
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("127.0.0.1", p))
        b = socket.socket(socket.AF_INET, socket.SOCK_STREAM); b.bind(("127.0.0.1", p))
        a.close(); b.close(); print(p); break
    except OSError:
        pass'
}

# pin N: "taskset -c N" as a command prefix (exec'd, so $! is the server's pid), or nothing
# on a single CPU or without taskset.
pin() {
    if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
        echo "taskset -c $1"
    fi
}
