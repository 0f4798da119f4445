{#-
    The files that hold raw table `table_name` under `raw_dir`, sorted by their path
    relative to `raw_dir` (the order that decides which duplicate row wins).
    A table is `<table>.csv`, `<table>.csv.gz`, `<table>.parquet`, or a folder `<table>/`
    of such files. Returns a list of {path, relative_path, format}.
-#}
{% macro list_raw_files(raw_dir, table_name) -%}
    {%- set base = raw_dir.rstrip('/') -%}
    {%- set patterns = [
        base ~ '/' ~ table_name ~ '.csv',
        base ~ '/' ~ table_name ~ '.csv.gz',
        base ~ '/' ~ table_name ~ '.parquet',
        base ~ '/' ~ table_name ~ '/*.csv',
        base ~ '/' ~ table_name ~ '/*.csv.gz',
        base ~ '/' ~ table_name ~ '/*.parquet',
    ] -%}
    {%- set globs = [] -%}
    {%- for pattern in patterns -%}
        {%- do globs.append("select file from glob('" ~ pattern | replace("'", "''") ~ "')") -%}
    {%- endfor -%}
    {%- set result = run_query(globs | join(' union all ') ~ ' order by file') -%}
    {%- set files = [] -%}
    {%- for row in result.rows -%}
        {%- set path = row[0] -%}
        {%- do files.append({
            'path': path,
            'relative_path': path[(base | length) + 1:] if path.startswith(base ~ '/') else path,
            'format': 'parquet' if path.endswith('.parquet') else 'csv',
        }) -%}
    {%- endfor -%}
    {{ return(files) }}
{%- endmacro %}
