"""Nightly reasoning eval with Tokenmill, as an Airflow DAG.

The task runs the same CLI as `bin/tokenmill run` and a plain spark-submit: the job jar, the main class
and `-c <yaml> [--set key=value ...]`. Output mode `resume` makes a retried task pick up where the failed
one stopped (at most one wave is redone). jobs/src/test/.../AirflowDagTest parses APPLICATION_ARGS from
this file and runs exactly those arguments locally, so the DAG cannot drift from the CLI.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

TOKENMILL_HOME = "/opt/tokenmill"

APPLICATION_ARGS = [
    "-c", f"{TOKENMILL_HOME}/conf/examples/arith-eval.yaml",
    "--set", f"job.base_dir={TOKENMILL_HOME}",
    "--set", "output.mode=resume",
    "--set", "generation.max_new_tokens=512",
    "--set", "job.gpu_hour_usd=2.5",
]

with DAG(
    dag_id="tokenmill_reasoning_eval",
    start_date=datetime(2026, 1, 1),
    schedule="@daily",
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["tokenmill", "llm", "batch-inference"],
) as dag:
    generate = SparkSubmitOperator(
        task_id="generate",
        conn_id="spark_default",
        application=f"{TOKENMILL_HOME}/jobs/target/spark/tokenmill-jobs.jar",
        java_class="io.tokenmill.jobs.GenerateJob",
        application_args=APPLICATION_ARGS,
        properties_file=f"{TOKENMILL_HOME}/conf/spark/spark-defaults-gpu.conf",
        name="tokenmill-{{ ds }}",
        verbose=False,
    )
