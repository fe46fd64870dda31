"""The Spark driver of beam-job-server's Spark backend.

The job server runs it as `spark-submit --master URL beam_spark_driver.py PLAN.json`
(client mode). PLAN.json lists the job's segments in dependency order (see
SparkSegments.swift): each becomes an RDD whose partitions run through a
`beam-job-server spark-stage` process, which executes the segment's Beam steps
with a local SDK harness. This program only moves opaque bytes: records are
(tag, key, value), keys are encoded Beam keys, values encoded windowed values;
it never decodes a Beam coder.

It reports to the job server on stdout, one JSON object per line (everything
else goes to stderr): started, segment, metrics (one per successful task),
message, summary, then done, or failed with the reason.
"""
import base64
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zlib

from pyspark import SparkConf, SparkContext, SparkFiles

METRICS = "\0metrics"
MESSAGE = "\0message"
STDERR_TAIL = 4096


def emit(**event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


# ---- the task side: runs on the executors ----------------------------------------

def frame(tag, value, kind=b"\x01"):
    """A record of the partition (kind 1) or of a side input (kind 5)."""
    tag = tag.encode()
    return kind + struct.pack(">I", len(tag)) + tag + struct.pack(">I", len(value)) + value


def read_exact(stream, count):
    data = stream.read(count)
    if len(data) != count:
        raise EOFError
    return data


def read_bytes(stream):
    return read_exact(stream, struct.unpack(">I", read_exact(stream, 4))[0])


def local_files(plan):
    """The executor program and the shipped artifacts, where Spark put them on this machine."""
    executor = list(plan["executor"])
    if plan["shipFiles"]:
        executor[0] = os.path.abspath(SparkFiles.get(os.path.basename(executor[0])))
        os.chmod(executor[0], 0o755)
    artifacts = {path: os.path.abspath(SparkFiles.get(name)) for path, name in plan["artifacts"].items()}
    return executor, artifacts


class StageExecutor:
    """A `beam-job-server spark-stage` process serving one job's tasks on this Python worker
    (Spark reuses Python workers, so its SDK harness stays warm from task to task)."""

    @staticmethod
    def running():
        # Tasks get this class pickled by value (the driver is __main__), so a class attribute
        # would start empty in every task: keep the processes on a module the worker keeps.
        return sys.__dict__.setdefault("_beam_job_server_stage_executors", {})

    @classmethod
    def for_job(cls, plan, pipeline):
        executor = cls.running().get(plan["job"])
        if executor is None or executor.process.poll() is not None:
            executor = cls.running()[plan["job"]] = cls(plan, pipeline)
        return executor

    def __init__(self, plan, pipeline):
        self.folder = tempfile.mkdtemp(prefix="beam-spark-stage-", dir=os.path.abspath(SparkFiles.getRootDirectory()))
        command, artifacts = local_files(plan)
        request = os.path.join(self.folder, "pipeline.pb")
        with open(request, "wb") as f:
            f.write(pipeline.value)
        artifact_map = os.path.join(self.folder, "artifacts.json")
        with open(artifact_map, "w") as f:
            json.dump(artifacts, f)
        self.stderr = open(os.path.join(self.folder, "stderr"), "w+b")
        self.process = subprocess.Popen(command + ["--pipeline", request, "--artifact-map", artifact_map],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, cwd=self.folder)
        self.job = plan["job"]

    def run(self, segment, side_records, records):
        """Streams one task through the process; yields its output records."""
        failure = []

        def feed():
            try:
                self.process.stdin.write(b"\x04" + struct.pack(">I", segment))
                for tag, value in side_records:
                    self.process.stdin.write(frame(tag, value, kind=b"\x05"))
                for record in records:
                    if record is not None:
                        self.process.stdin.write(frame(*record))
                self.process.stdin.write(b"\x00")
                self.process.stdin.flush()
            except BrokenPipeError:
                pass  # the executor ended; its exit status says why
            except BaseException as error:  # noqa: BLE001  (reported with the task)
                failure.append(error)
                self.process.kill()

        # A writer thread, so a large partition never deadlocks against the executor's output.
        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        out = self.process.stdout
        try:
            while True:
                kind = read_exact(out, 1)[0]
                if kind == 0:
                    break
                if kind == 1:
                    tag = read_bytes(out).decode()
                    key = read_bytes(out)
                    yield tag, key, read_bytes(out)
                elif kind == 2:
                    yield METRICS, b"", read_bytes(out)
                elif kind == 3:
                    importance = read_exact(out, 1)
                    yield MESSAGE, importance, read_bytes(out)
                else:
                    raise RuntimeError(f"spark-stage wrote an unknown frame type {kind}")
        except EOFError:
            self.fail(segment, "ended without finishing the task")
        except BaseException:
            self.stop()
            raise
        writer.join()
        if failure:
            self.stop()
            raise failure[0]

    def fail(self, segment, what):
        status = self.process.wait()
        self.stderr.seek(0, os.SEEK_END)
        self.stderr.seek(max(0, self.stderr.tell() - STDERR_TAIL))
        tail = self.stderr.read().decode(errors="replace")
        self.stop()
        raise RuntimeError(f"beam-job-server spark-stage (segment {segment}) {what} (exit status {status}):\n{tail}")

    def stop(self):
        self.running().pop(self.job, None)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def run_task(plan, segment, pipeline, side_records):
    """The mapPartitions function of a segment: pipes the partition through the job's stage executor."""

    def task(records):
        executor = StageExecutor.for_job(plan, pipeline)
        yield from executor.run(segment["id"], side_records.value, records)

    return task


def key_partition(key):
    """The same partition for the same key bytes in every process (Python's hash of bytes is salted)."""
    return zlib.crc32(key)


# ---- the driver side ---------------------------------------------------------------

def input_rdd(sc, plan, segment, emitted):
    kind = segment["input"]["kind"]
    if kind == "impulse":
        return sc.parallelize([None], 1)
    sources = [emitted[tag] for tag in segment["input"]["pcollections"]]
    union = sources[0] if len(sources) == 1 else sc.union(sources)
    if kind == "shuffle":
        return (union.map(lambda r: (r[1], (r[0], r[2])))
                .partitionBy(plan["parallelism"], key_partition)
                .values())
    if kind == "repartition":
        # One element per record, dealt round-robin (Spark's own repartition moves pickled
        # batches of up to 10 records, which leaves a few split restrictions in one partition).
        parallelism = plan["parallelism"]
        return (union.mapPartitionsWithIndex(
                    lambda index, records: ((index + n, (r[0], r[2])) for n, r in enumerate(records)))
                .partitionBy(parallelism, lambda position: position % parallelism)
                .values())
    return union.map(lambda r: (r[0], r[2]))


def spark_status(sc):
    """Executors that ran tasks and the bytes shuffles read, from Spark's REST status API."""
    base = sc.uiWebUrl
    if not base:
        return None
    app = sc.applicationId
    try:
        with urllib.request.urlopen(f"{base}/api/v1/applications/{app}/executors", timeout=10) as r:
            executors = [e for e in json.load(r) if e["id"] != "driver" and e.get("totalTasks", 0) > 0]
        with urllib.request.urlopen(f"{base}/api/v1/applications/{app}/stages", timeout=10) as r:
            stages = json.load(r)
    except OSError as error:
        print(f"beam_spark_driver: no status from {base}: {error}", file=sys.stderr)
        return None
    return {
        "executors": len(executors),
        "executorHosts": sorted({e["hostPort"] for e in executors}),
        "tasks": sum(e.get("totalTasks", 0) for e in executors),
        "failedTasks": sum(e.get("failedTasks", 0) for e in executors),
        "shuffleReadBytes": sum(s.get("shuffleReadBytes", 0) for s in stages),
        "shuffleWriteBytes": sum(s.get("shuffleWriteBytes", 0) for s in stages),
    }


def run(plan, sc):
    with open(plan["pipeline"], "rb") as f:
        pipeline = sc.broadcast(f.read())
    for path in plan["shipFiles"]:
        sc.addFile(path)
    for path in plan["artifacts"]:
        sc.addFile(path)
    emitted = {}
    segments = plan["segments"]
    for segment in segments:
        started = time.time()
        sc.setJobGroup(f"segment-{segment['id']}", f"Beam segment {segment['id'] + 1} of {len(segments)}",
                       interruptOnCancel=True)
        side_records = sc.broadcast([(r[0], r[2]) for tag in segment["sideInputs"] for r in emitted[tag].collect()])
        source = input_rdd(sc, plan, segment, emitted)
        out = source.mapPartitions(run_task(plan, segment, pipeline, side_records)).persist()
        # One action per segment: runs it (filling the cache later segments read) and brings
        # back what only successful task attempts emitted: their metrics and messages.
        extras = out.filter(lambda r: r[0] in (METRICS, MESSAGE)).collect()
        for tag, importance, value in extras:
            if tag == METRICS:
                emit(event="metrics", data=base64.b64encode(value).decode())
            else:
                emit(event="message", importance=importance[0], text=value.decode(errors="replace"))
        for tag in segment["outputs"]:
            emitted[tag] = out.filter(lambda r, tag=tag: r[0] == tag)
        emit(event="segment", id=segment["id"], of=len(segments), tasks=source.getNumPartitions(),
             seconds=round(time.time() - started, 2))
    status = spark_status(sc)
    if status:
        emit(event="summary", **status)


def failure_text(text, limit=8192):
    """The part of a Spark job failure that says what went wrong: from the stage
    executor's own report when there is one, not Spark's Java stack."""
    start = text.rfind("RuntimeError: beam-job-server spark-stage")
    if start >= 0:
        text = text[start + len("RuntimeError: "):]
        end = text.find("\n\tat ")
        text = text[:end] if end >= 0 else text
    return text[:limit]


def main():
    with open(sys.argv[1]) as f:
        plan = json.load(f)
    conf = SparkConf().setAppName(f"beam-job-server:{plan['job']}")
    conf.setIfMissing("spark.task.maxFailures", "4")
    conf.setIfMissing("spark.ui.showConsoleProgress", "false")
    sc = SparkContext(conf=conf)
    sc.setLogLevel("WARN")

    def stop(signum, frame):
        # Cancel: the job server sends SIGTERM; cancel the Spark jobs and go.
        sc.cancelAllJobs()
        sc.stop()
        os._exit(143)

    signal.signal(signal.SIGTERM, stop)
    emit(event="started", appId=sc.applicationId, uiUrl=sc.uiWebUrl)
    try:
        run(plan, sc)
    except Exception as error:  # noqa: BLE001  (the job's failure, reported to the server)
        emit(event="failed", error=failure_text(str(error)))
        sc.stop()
        sys.exit(1)
    emit(event="done")
    sc.stop()


if __name__ == "__main__":
    main()
