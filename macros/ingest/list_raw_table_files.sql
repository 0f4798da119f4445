{#-
    The files of raw table `contract.name` under env RAW_DATA_DIR (list_raw_files), shared by
    every engine's read_raw_table. A required table without files stops the build naming the
    table and the folder; an optional one gives an empty list (read as empty_raw_table).
-#}
{% macro list_raw_table_files(contract) -%}
    {%- set raw_dir = env_var('RAW_DATA_DIR', 'data/sample') -%}
    {%- set files = list_raw_files(raw_dir, contract.name) -%}
    {%- if files | length == 0 and contract.is_required_table -%}
        {{ exceptions.raise_compiler_error(
            "Required raw table '" ~ contract.name ~ "' not found in RAW_DATA_DIR='" ~ raw_dir
            ~ "': expected " ~ contract.name ~ ".csv, " ~ contract.name ~ ".parquet or a folder "
            ~ contract.name ~ "/ of such files."
        ) }}
    {%- endif -%}
    {{ return(files) }}
{%- endmacro %}
