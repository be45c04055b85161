"""Where and when: coordinates (WGS84 points), licence-plate-reader sightings and case hot lists."""
