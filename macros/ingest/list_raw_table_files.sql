{#-
    The files of raw table `contract.name` under env RAW_DATA_DIR (list_raw_files), each with
    its `verdict` (inspect_raw_file, read with the table's declared raw_file_format), shared by
    every engine's read_raw_table. A quarantined file (empty, binary, undecodable) is logged
    and kept in the list, so the build can report it, but is not read.

    A required table without files, or whose every file is quarantined, stops the build with
    one message naming the table, the files and what to do; an optional one gives no
    readable file (read as empty_raw_table).
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
    {%- set raw_format = raw_file_format(contract.name) -%}
    {%- set quarantined = [] -%}
    {%- for file in files -%}
        {%- do file.update({'verdict': inspect_raw_file(file, raw_format)}) -%}
        {%- if file.verdict.quarantine_reason is not none -%}
            {%- set note = file.relative_path ~ ': ' ~ file.verdict.quarantine_reason
                ~ ' (' ~ file.verdict.detail ~ ')' -%}
            {%- do quarantined.append(note) -%}
            {{ log("Raw table '" ~ contract.name ~ "': quarantined, not read: " ~ note, info=True) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if files and quarantined | length == files | length and contract.is_required_table -%}
        {{ exceptions.raise_compiler_error(
            "Required raw table '" ~ contract.name ~ "' has no readable file in RAW_DATA_DIR='"
            ~ raw_dir ~ "': " ~ quarantined | join('; ') ~ ". Replace the file(s) with a CSV "
            ~ "(UTF-8, or the encoding declared in var raw_file_formats) or Parquet export of "
            ~ "the table, then run the build again."
        ) }}
    {%- endif -%}
    {{ return(files) }}
{%- endmacro %}
