"""The simulator's hand-written schema subset agrees with Shopify's real 2026-04 Admin schema."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    parse,
    validate,
)

from adapters.shopify import queries
from sandbox.shopify_sim.graphql_api import subset_sdl


def subset() -> GraphQLSchema:
    return build_schema(subset_sdl())


def test_every_subset_type_field_and_argument_has_the_real_name_and_type(
    shopify_schema: GraphQLSchema,
) -> None:
    mismatches = []
    for name, small in subset().type_map.items():
        if name.startswith("__"):
            continue
        real = shopify_schema.get_type(name)
        if real is None or type(real) is not type(small):
            mismatches.append(f"type {name}")
            continue
        if isinstance(small, GraphQLObjectType | GraphQLInterfaceType):
            assert isinstance(real, GraphQLObjectType | GraphQLInterfaceType)
            for field_name, field in small.fields.items():
                real_field = real.fields.get(field_name)
                if real_field is None or str(real_field.type) != str(field.type):
                    mismatches.append(f"{name}.{field_name}")
                    continue
                for arg, value in field.args.items():
                    real_arg = real_field.args.get(arg)
                    if real_arg is None or str(real_arg.type) != str(value.type):
                        mismatches.append(f"{name}.{field_name}({arg})")
            real_interfaces = {i.name for i in real.interfaces}
            mismatches += [
                f"{name} implements {i.name}" for i in small.interfaces if i.name not in real_interfaces
            ]
        if isinstance(small, GraphQLEnumType):
            assert isinstance(real, GraphQLEnumType)
            mismatches += [f"{name}.{v}" for v in small.values if v not in real.values]
    assert mismatches == []


def test_the_subset_has_the_same_root_types_as_the_real_schema(shopify_schema: GraphQLSchema) -> None:
    small = subset()
    assert small.query_type and shopify_schema.query_type
    assert small.query_type.name == shopify_schema.query_type.name
    assert small.mutation_type and shopify_schema.mutation_type
    assert small.mutation_type.name == shopify_schema.mutation_type.name


def test_every_connector_document_validates_against_the_subset() -> None:
    small = subset()
    for document in queries.ALL_DOCUMENTS:
        assert validate(small, parse(document)) == []
