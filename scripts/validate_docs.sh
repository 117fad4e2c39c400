#!/usr/bin/env bash
# The reference check of each backend into docs/validate/{backend}.md (and .csv): the tables the
# README's "Phonons you can trust" summarises. Usage: bash scripts/validate_docs.sh [BACKEND...]
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1
for b in "${@:-chgnet 7net-0 7net-l3i5}"; do
    for m in $b; do
        start=$(date +%s)
        table=$(.venv/bin/tcramp validate --mlff "$m" --csv "docs/validate/$m.csv")
        {
            echo "# tcramp validate --mlff $m"
            echo
            echo "Command (CPU, one process, one torch thread; cpu_s is process time, the machine may be shared):"
            echo
            echo '```'
            echo "OMP_NUM_THREADS=1 tcramp validate --mlff $m --csv docs/validate/$m.csv"
            echo '```'
            echo
            echo "Wall time of the run: $(($(date +%s) - start))s."
            echo
            echo "$table"
        } > "docs/validate/$m.md"
    done
done
