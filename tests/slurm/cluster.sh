#!/usr/bin/env bash
# A ONE-NODE SLURM cluster on localhost, for testing the snpgen slurm profile.
#
#   tests/slurm/cluster.sh start    # idempotent: returns at once when it is already up
#   tests/slurm/cluster.sh status   # exit 0 when up (prints sinfo), 1 when not
#   tests/slurm/cluster.sh stop     # cancels jobs, stops the daemons it started, by PID
#   tests/slurm/cluster.sh env      # prints the config it would write (no side effects)
#
# Needs: root (or sudo), the Debian packages slurm-wlm slurmctld slurmd munge
# (scripts/install_slurm.sh). No systemd: the daemons are started by hand.
#
# Catches handled here (see /work/shared/environment.md):
#   * snakemake's slurm-jobstep plugin strips SLURM_* variables (SLURM_CONF too), so the
#     config MUST sit at /etc/slurm/slurm.conf. The script refuses to overwrite a
#     slurm.conf it did not write (set SNPGEN_SLURM_FORCE=1 to override) and restores
#     the original (if any) on stop.
#   * munged wants its socket dir (/run/munge) mode 755 and runs as user munge.
#   * the node is called "localhost" (slurmd -N localhost), whatever the hostname is.
#   * no accounting daemon (slurmdbd): sacct does not work; snakemake needs
#     --slurm-status-command squeue (and --slurm-no-account). Finished jobs are kept
#     in squeue for MinJobAge=600 s and written to $SCRATCH/log/jobcomp.txt (one line
#     per job: JobId, JobName, JobState, ...), which the tests use as job history.
#
# Knobs (environment):
#   SNPGEN_SLURM_SCRATCH  state/log/pid dir            (default /tmp/slurm_scratch)
#   SNPGEN_SLURM_CPUS     CPUs the node advertises     (default max(nproc, 8); more than
#                         the real count is allowed via SlurmdParameters=config_overrides,
#                         so rules with threads > nproc still schedule on a small box)
#   SNPGEN_SLURM_MEM_MB   RealMemory of the node       (default MemTotal - 512 MB)
#   SNPGEN_SLURM_GPUS     fake GPUs on the node (gres gpu, File=/dev/null; default 1, 0 = none).
#                         With N>0 a `--gpus=1` job is accepted, scheduled and gets
#                         CUDA_VISIBLE_DEVICES=0; there is no device behind it (torch still
#                         sees no CUDA).
#   SNPGEN_SLURM_FORCE=1  overwrite a foreign /etc/slurm/slurm.conf
set -euo pipefail

SCRATCH=${SNPGEN_SLURM_SCRATCH:-/tmp/slurm_scratch}
CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
GRES_CONF=$CONF_DIR/gres.conf
MARKER="# managed by snpgen tests/slurm/cluster.sh"
NODE=localhost
PARTITION=debug
OURS=$SCRATCH/run/started_by_us   # one daemon name per line: munged slurmctld slurmd

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

log() { echo "[slurm-cluster] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

have_binaries() {
  local b
  for b in munged slurmctld slurmd sbatch squeue sinfo scontrol; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || return 1
  done
}

ncpus() {
  local n; n=$(nproc)
  if [ -n "${SNPGEN_SLURM_CPUS:-}" ]; then echo "$SNPGEN_SLURM_CPUS"
  elif [ "$n" -lt 8 ]; then echo 8
  else echo "$n"; fi
}

mem_mb() {
  if [ -n "${SNPGEN_SLURM_MEM_MB:-}" ]; then echo "$SNPGEN_SLURM_MEM_MB"; return; fi
  local kb; kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
  echo $(( kb / 1024 - 512 ))
}

render_conf() {
  local gpus=${SNPGEN_SLURM_GPUS:-1} gres_line="" gres_types=""
  if [ "$gpus" -gt 0 ]; then
    gres_types="GresTypes=gpu"   # (AccountingStorageTRES=gres/gpu would need slurmdbd)
    gres_line=" Gres=gpu:$gpus"
  fi
  cat <<EOF
$MARKER -- one-node test cluster; do not edit, re-run the script
ClusterName=snpgen
SlurmctldHost=$NODE
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
StateSaveLocation=$SCRATCH/state
SlurmdSpoolDir=$SCRATCH/spool/slurmd
SlurmctldPidFile=$SCRATCH/run/slurmctld.pid
SlurmdPidFile=$SCRATCH/run/slurmd.pid
SlurmctldLogFile=$SCRATCH/log/slurmctld.log
SlurmdLogFile=$SCRATCH/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmctldPort=6817
SlurmdPort=6818
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$SCRATCH/log/jobcomp.txt
MinJobAge=600
KillWait=5
DefMemPerCPU=1024
InactiveLimit=0
$gres_types
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$(ncpus) RealMemory=$(mem_mb)$gres_line State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
}

munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
ctld_ok() { scontrol ping 2>/dev/null | grep -q 'is UP'; }
node_state() { sinfo -h -n "$NODE" -o '%T' 2>/dev/null | head -1; }
# exact states only: a trailing * means "not responding"
node_ok() { case "$(node_state)" in idle|mixed|allocated|completing) return 0 ;; *) return 1 ;; esac; }
pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pidof_file() { [ -s "$1" ] && cat "$1" || true; }

wait_for() {  # wait_for SECONDS DESCRIPTION CMD...
  local t=$1 what=$2; shift 2
  local i
  for ((i = 0; i < t * 4; i++)); do
    if "$@"; then return 0; fi
    sleep 0.25
  done
  log "timed out after ${t}s waiting for $what"
  return 1
}

dump_logs() {
  local f
  for f in "$SCRATCH"/log/*.start.log "$SCRATCH"/log/slurmctld.log "$SCRATCH"/log/slurmd.log /var/log/munge/munged.log; do
    [ -f "$f" ] && { log "--- tail $f"; tail -n 25 "$f" >&2; }
  done
  return 0
}

write_conf() {
  if [ -f "$CONF" ] && ! grep -qF "$MARKER" "$CONF"; then
    if [ "${SNPGEN_SLURM_FORCE:-0}" != 1 ]; then
      die "$CONF exists and was not written by this script (a real cluster config?). \
Refusing to overwrite it; set SNPGEN_SLURM_FORCE=1 to move it aside (it is restored on stop)."
    fi
    [ -f "$SCRATCH/slurm.conf.orig" ] || $SUDO cp -p "$CONF" "$SCRATCH/slurm.conf.orig"
  fi
  if [ -f "$GRES_CONF" ] && ! grep -qF "$MARKER" "$GRES_CONF"; then
    [ "${SNPGEN_SLURM_FORCE:-0}" = 1 ] || die "$GRES_CONF exists and was not written by this script"
    [ -f "$SCRATCH/gres.conf.orig" ] || $SUDO cp -p "$GRES_CONF" "$SCRATCH/gres.conf.orig"
  fi
  $SUDO mkdir -p "$CONF_DIR"
  render_conf | $SUDO tee "$CONF.snpgen-tmp" >/dev/null
  $SUDO mv "$CONF.snpgen-tmp" "$CONF"
  $SUDO chmod 644 "$CONF"
  local gpus=${SNPGEN_SLURM_GPUS:-1}
  if [ "$gpus" -gt 0 ]; then
    # no File=: a count-only GRES, nothing is bound (there is no device)
    { echo "$MARKER"; for ((g = 0; g < gpus; g++)); do echo "NodeName=$NODE Name=gpu File=/dev/null"; done; } | $SUDO tee "$GRES_CONF" >/dev/null
  elif [ -f "$GRES_CONF" ]; then
    $SUDO rm -f "$GRES_CONF"
  fi
}

mark_ours() { echo "$1" >>"$OURS"; }
is_ours() { [ -f "$OURS" ] && grep -qx "$1" "$OURS"; }

start_munge() {
  if munge_ok; then log "munged already running"; return 0; fi
  local key=/etc/munge/munge.key
  if [ ! -s "$key" ]; then
    log "creating $key"
    if command -v mungekey >/dev/null 2>&1 || [ -x /usr/sbin/mungekey ]; then
      $SUDO /usr/sbin/mungekey --create --keyfile="$key" --force
    else
      $SUDO dd if=/dev/urandom of="$key" bs=1 count=1024 status=none
    fi
  fi
  $SUDO chown munge:munge "$key"; $SUDO chmod 400 "$key"
  $SUDO mkdir -p /run/munge /var/log/munge /var/lib/munge
  $SUDO chown munge:munge /run/munge /var/log/munge /var/lib/munge
  $SUDO chmod 755 /run/munge           # clients must reach the socket
  $SUDO chmod 700 /var/log/munge
  $SUDO runuser -u munge -- /usr/sbin/munged --force </dev/null >>"$SCRATCH/log/munged.start.log" 2>&1 \
    || { cat "$SCRATCH/log/munged.start.log" >&2; die "munged failed to start"; }
  mark_ours munged
  wait_for 20 munged munge_ok || { dump_logs; die "munged did not come up"; }
  log "munged up (pid $(pidof_file /run/munge/munged.pid))"
}

start_slurmctld() {
  if ctld_ok; then
    is_ours slurmctld || log "WARNING: a slurmctld not started by this script answers on this host"
    log "slurmctld already running"; return 0
  fi
  # daemons get no inherited stdout/stderr: a caller piping our output must not hang
  $SUDO /usr/sbin/slurmctld -i </dev/null >>"$SCRATCH/log/slurmctld.start.log" 2>&1 \
    || { cat "$SCRATCH/log/slurmctld.start.log" >&2; die "slurmctld failed to start"; }
  mark_ours slurmctld
  wait_for 30 slurmctld ctld_ok || { dump_logs; die "slurmctld did not come up"; }
  log "slurmctld up (pid $(pidof_file "$SCRATCH/run/slurmctld.pid"))"
}

start_slurmd() {
  local pid; pid=$(pidof_file "$SCRATCH/run/slurmd.pid")
  if pid_alive "$pid"; then log "slurmd already running (pid $pid)"; else
    $SUDO /usr/sbin/slurmd -N "$NODE" </dev/null >>"$SCRATCH/log/slurmd.start.log" 2>&1 \
      || { cat "$SCRATCH/log/slurmd.start.log" >&2; die "slurmd failed to start"; }
    mark_ours slurmd
  fi
  # a node that was down (e.g. after an unclean stop) is resumed
  local i st
  for ((i = 0; i < 120; i++)); do
    st=$(node_state)
    case "$st" in
      idle|mixed|allocated|completing) break ;;
      drain*|down*) scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.25
  done
  node_ok || { dump_logs; die "node $NODE is '$(node_state)', not idle"; }
  log "slurmd up (pid $(pidof_file "$SCRATCH/run/slurmd.pid")), node $NODE: $(node_state)"
}

cmd_start() {
  have_binaries || die "SLURM/munge binaries missing: run scripts/install_slurm.sh \
(apt packages: slurm-wlm slurmctld slurmd munge)"
  $SUDO mkdir -p "$SCRATCH"/{state,spool/slurmd,run,log}
  $SUDO chmod 755 "$SCRATCH"
  if ctld_ok && node_ok && grep -qF "$MARKER" "$CONF" 2>/dev/null; then
    log "already up: $(node_state) $(scontrol show config 2>/dev/null | awk '/^ClusterName/ {print $3}')"
    return 0
  fi
  write_conf
  start_munge
  start_slurmctld
  start_slurmd
  log "cluster up: partition $PARTITION, node $NODE ($(ncpus) CPUs, $(mem_mb) MB, ${SNPGEN_SLURM_GPUS:-1} fake GPUs); logs in $SCRATCH/log"
}

stop_pid() {  # stop_pid NAME PIDFILE
  local name=$1 pidfile=$2 pid i
  pid=$(pidof_file "$pidfile")
  if ! pid_alive "$pid"; then log "$name not running"; $SUDO rm -f "$pidfile"; return 0; fi
  $SUDO kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do pid_alive "$pid" || break; sleep 0.25; done
  if pid_alive "$pid"; then log "$name (pid $pid) ignored TERM; sending KILL"; $SUDO kill -KILL "$pid" || true; fi
  $SUDO rm -f "$pidfile"
  log "$name stopped (pid $pid)"
}

cmd_stop() {
  if ctld_ok; then
    # cancel what is left so no slurmstepd outlives the daemons
    local ids; ids=$(squeue -h -o '%i' -t PENDING,RUNNING,SUSPENDED,CONFIGURING,COMPLETING 2>/dev/null || true)
    if [ -n "$ids" ]; then
      log "cancelling jobs: $(echo $ids)"
      # shellcheck disable=SC2086
      scancel $ids 2>/dev/null || true
      local i
      for ((i = 0; i < 40; i++)); do
        [ -z "$(squeue -h -o '%i' -t RUNNING,COMPLETING 2>/dev/null)" ] && break; sleep 0.25
      done
    fi
  fi
  # slurmd first (it reaps its slurmstepds), then slurmctld, then munged
  if [ ! -f "$OURS" ] || is_ours slurmd; then stop_pid slurmd "$SCRATCH/run/slurmd.pid"; fi
  if [ ! -f "$OURS" ] || is_ours slurmctld; then stop_pid slurmctld "$SCRATCH/run/slurmctld.pid"; fi
  if is_ours munged; then stop_pid munged /run/munge/munged.pid
  else log "munged left alone (not started by this script)"; fi
  $SUDO rm -f "$OURS"
  # hand /etc/slurm back as it was
  if [ -f "$SCRATCH/slurm.conf.orig" ]; then
    $SUDO mv "$SCRATCH/slurm.conf.orig" "$CONF"; log "restored the original $CONF"
  fi
  if [ -f "$SCRATCH/gres.conf.orig" ]; then
    $SUDO mv "$SCRATCH/gres.conf.orig" "$GRES_CONF"
  elif [ -f "$GRES_CONF" ] && grep -qF "$MARKER" "$GRES_CONF"; then
    $SUDO rm -f "$GRES_CONF"
  fi
  log "stopped"
}

cmd_status() {
  local rc=0 pid
  if munge_ok; then echo "munged     up (pid $(pidof_file /run/munge/munged.pid))"; else echo "munged     down"; rc=1; fi
  if ctld_ok; then echo "slurmctld  up (pid $(pidof_file "$SCRATCH/run/slurmctld.pid"))"; else echo "slurmctld  down"; rc=1; fi
  pid=$(pidof_file "$SCRATCH/run/slurmd.pid")
  if pid_alive "$pid"; then echo "slurmd     up (pid $pid)"; else echo "slurmd     down"; rc=1; fi
  if [ $rc -eq 0 ] && node_ok; then sinfo; else rc=1; fi
  return $rc
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  restart) cmd_stop; cmd_start ;;
  env) render_conf ;;
  *) echo "usage: $0 start|stop|status|restart|env" >&2; exit 2 ;;
esac
