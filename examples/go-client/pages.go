package main

import (
	"context"

	commonv1 "github.com/container-registry/harbor-satellite-ts/gen/go/harbor/satellite/common/v1"
	fleetv1 "github.com/container-registry/harbor-satellite-ts/gen/go/harbor/satellite/fleet/v1"
	heartbeatv1 "github.com/container-registry/harbor-satellite-ts/gen/go/harbor/satellite/heartbeat/v1"
)

// pageSize is the largest page Ground Control returns.
const pageSize = 1000

// allPages calls fetch with each next-page token until the last page, and joins the items.
func allPages[T any](fetch func(page *commonv1.PageRequest) ([]T, *commonv1.PageResponse, error)) ([]T, error) {
	var all []T
	token := ""
	for {
		items, page, err := fetch(&commonv1.PageRequest{PageSize: pageSize, PageToken: token})
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if token = page.GetNextPageToken(); token == "" {
			return all, nil
		}
	}
}

func listSatellites(ctx context.Context, fleet fleetv1.FleetServiceClient) ([]*fleetv1.Satellite, error) {
	return allPages(func(page *commonv1.PageRequest) ([]*fleetv1.Satellite, *commonv1.PageResponse, error) {
		res, err := fleet.ListSatellites(ctx, &fleetv1.ListSatellitesRequest{Page: page})
		return res.GetSatellites(), res.GetPage(), err
	})
}

func listDrift(ctx context.Context, heartbeat heartbeatv1.HeartbeatServiceClient) ([]*heartbeatv1.SatelliteDrift, error) {
	return allPages(func(page *commonv1.PageRequest) ([]*heartbeatv1.SatelliteDrift, *commonv1.PageResponse, error) {
		res, err := heartbeat.ListSatelliteDrift(ctx, &heartbeatv1.ListSatelliteDriftRequest{Page: page})
		return res.GetSatellites(), res.GetPage(), err
	})
}
