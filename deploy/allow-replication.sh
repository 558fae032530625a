#!/usr/bin/env bash
# Run once by the postgres image when it initialises the primary's data directory (docker-entrypoint-initdb.d):
# lets the streaming replica of docker-compose.yml's `scale` profile connect for replication with a password.
set -euo pipefail
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
