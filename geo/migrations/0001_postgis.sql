-- PostGIS for geometry types, spatial indexes and functions.
CREATE EXTENSION IF NOT EXISTS postgis;
