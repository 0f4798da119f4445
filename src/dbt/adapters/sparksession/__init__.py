"""dbt adapter `sparksession`: dbt-spark plus a `session` submission method for Python models.

dbt-spark 1.11 runs Python models only through Databricks' REST submission methods
(`all_purpose_cluster`, `job_cluster`). On an open-source Spark cluster (a standalone master,
or `local[*]`) reached with the `session` connection method, this adapter runs the compiled
model in the SparkSession dbt already holds. Everything else is dbt-spark: the plugin depends
on the `spark` adapter, so `spark__` macros and materializations dispatch unchanged.

Why a plugin and not a patch of `SparkAdapter` at import time: a plugin is loaded by dbt
itself from `type: sparksession` in profiles.yml, touches nothing for other targets, and
fails loudly (unknown adapter type) when dbt-spark's interfaces change. docs/running-on-spark.md.
"""

from dbt.adapters.base import AdapterPlugin

from dbt.adapters.sparksession.impl import SparkSessionAdapter, SparkSessionCredentials
from dbt.include import sparksession

Plugin = AdapterPlugin(
    adapter=SparkSessionAdapter,  # type: ignore[arg-type]
    credentials=SparkSessionCredentials,
    include_path=sparksession.PACKAGE_PATH,
    dependencies=["spark"],
)
