-- Every segment has a non-blank name, description and recommended action.

with

segments as (
    select * from {{ ref('dim_segments') }}
)

select
    segment_id,
    segment_name,
    segment_description,
    recommended_action
from segments
where
    trim(coalesce(segment_name, '')) = ''
    or trim(coalesce(segment_description, '')) = ''
    or trim(coalesce(recommended_action, '')) = ''
