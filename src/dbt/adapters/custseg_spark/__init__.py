"""dbt adapter `custseg_spark`: dbt-spark plus a `session` submission method for Python models.

dbt-spark 1.11 runs Python models only through Databricks' REST submission methods
(`all_purpose_cluster`, `job_cluster`). On an open-source Spark cluster (a standalone master,
or `local[*]`) reached with the `session` connection method, this adapter runs the compiled
model in the SparkSession dbt already holds. Everything else is dbt-spark: the plugin depends
on the `spark` adapter, so `spark__` macros and materializations dispatch unchanged.

Why a plugin and not a patch of `SparkAdapter` at import time: a plugin is loaded by dbt
itself from `type: custseg_spark` in profiles.yml, touches nothing for other targets, and
fails loudly (unknown adapter type) when dbt-spark's interfaces change. docs/running-on-spark.md.
"""

from dbt.adapters.base import AdapterPlugin
from dbt.adapters.custseg_spark.impl import CustsegSparkAdapter, CustsegSparkCredentials
from dbt.include import custseg_spark

Plugin = AdapterPlugin(
    adapter=CustsegSparkAdapter,  # type: ignore[arg-type]
    credentials=CustsegSparkCredentials,
    include_path=custseg_spark.PACKAGE_PATH,
    dependencies=["spark"],
)
