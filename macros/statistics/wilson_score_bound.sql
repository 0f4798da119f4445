{#-
    One bound of the Wilson score interval of the proportion `successes / trials`:
    (2x + z² ∓ z · sqrt(z² + 4x(1 − x/n))) / (2(n + z²)). Null when `trials` is 0. Clamped
    to [0, 1]: at 0 or n successes the exact bound is 0 or 1, which floating point can miss
    by a rounding error. rpt_segment_campaign_lift combines two of these into Newcombe's
    interval for a difference of proportions.
-#}
{% macro wilson_score_bound(successes, trials, side, z=1.959964) -%}
    {%- if side not in ['lower', 'upper'] -%}
        {{ exceptions.raise_compiler_error(
            "wilson_score_bound: side must be 'lower' or 'upper', got '" ~ side ~ "'"
        ) }}
    {%- endif -%}
    {%- set x = 'cast(' ~ successes ~ ' as ' ~ type_double() ~ ')' -%}
    {%- set n = 'cast(' ~ trials ~ ' as ' ~ type_double() ~ ')' -%}
    {%- set z_squared = '(' ~ z ~ ' * ' ~ z ~ ')' -%}
    case
        when {{ trials }} > 0
            then {{ 'greatest(0.0' if side == 'lower' else 'least(1.0' }}, (
                2 * {{ x }} + {{ z_squared }}
                {{ '-' if side == 'lower' else '+' }} {{ z }}
                * sqrt({{ z_squared }} + 4 * {{ x }} * (1 - {{ x }} / {{ n }}))
            ) / (2 * ({{ n }} + {{ z_squared }})))
    end
{%- endmacro %}
