"""Customer segmentation helpers used by the dbt project (installed with `pip install -e .`)."""
