"""Interactive monitoring maps (Folium): assets served locally, choropleths, classification, legends."""
