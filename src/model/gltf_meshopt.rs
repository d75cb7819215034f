//! One `EXT_meshopt_compression` buffer view decoded (gltfpack's output): vertex streams,
//! triangle indices or index sequences, then the filter that packed normals, rotations or
//! exponents. The meshopt library does the decoding; this picks its element size.

/// Decodes `count` elements of `stride` bytes from `source`; `mode` and `filter` are the
/// extension's names.
pub fn decode_view(
    source: &[u8],
    count: usize,
    stride: usize,
    mode: &str,
    filter: &str,
) -> Result<Vec<u8>, String> {
    let failed = |e: meshopt::Error| e.to_string();
    match mode {
        "ATTRIBUTES" => {
            let mut data = decode_attributes(source, count, stride)?;
            unfilter(&mut data, stride, filter)?;
            Ok(data)
        }
        "TRIANGLES" | "INDICES" => {
            let triangles = mode == "TRIANGLES";
            match stride {
                2 => {
                    let indices: Vec<u16> = if triangles {
                        meshopt::decode_index_buffer(source, count).map_err(failed)?
                    } else {
                        meshopt::decode_index_sequence(source, count).map_err(failed)?
                    };
                    Ok(bytemuck::cast_slice(&indices).to_vec())
                }
                4 => {
                    let indices: Vec<u32> = if triangles {
                        meshopt::decode_index_buffer(source, count).map_err(failed)?
                    } else {
                        meshopt::decode_index_sequence(source, count).map_err(failed)?
                    };
                    Ok(bytemuck::cast_slice(&indices).to_vec())
                }
                other => Err(format!("indices of {other} bytes")),
            }
        }
        other => Err(format!("the mode {other}")),
    }
}

/// Vertex streams of any stride the extension allows (a multiple of 4 up to 128 bytes).
fn decode_attributes(source: &[u8], count: usize, stride: usize) -> Result<Vec<u8>, String> {
    /// One vertex of `N` words (arrays of any length have no `Default` to decode into).
    #[derive(Clone, Copy)]
    struct Vertex<const N: usize>([u32; N]);
    impl<const N: usize> Default for Vertex<N> {
        fn default() -> Self {
            Self([0; N])
        }
    }
    fn words<const N: usize>(source: &[u8], count: usize) -> Result<Vec<u8>, String> {
        let decoded: Vec<Vertex<N>> =
            meshopt::decode_vertex_buffer(source, count).map_err(|e| e.to_string())?;
        Ok(decoded
            .iter()
            .flat_map(|vertex| vertex.0.iter().flat_map(|word| word.to_le_bytes()))
            .collect())
    }
    macro_rules! by_stride {
        ($($n:literal)*) => {
            match stride / 4 {
                $($n => words::<$n>(source, count),)*
                _ => Err(format!("vertices of {stride} bytes")),
            }
        };
    }
    if !stride.is_multiple_of(4) {
        return Err(format!("vertices of {stride} bytes"));
    }
    by_stride!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32)
}

/// Undoes the filter gltfpack packed the stream with.
fn unfilter(data: &mut [u8], stride: usize, filter: &str) -> Result<(), String> {
    match (filter, stride) {
        ("NONE", _) => {}
        ("OCTAHEDRAL", 4) => {
            meshopt::decode_filter_oct::<i8>(bytemuck::cast_slice_mut(data));
        }
        ("OCTAHEDRAL", 8) => {
            let mut words: Vec<[i16; 4]> = bytemuck::pod_collect_to_vec(data);
            meshopt::decode_filter_oct(&mut words);
            data.copy_from_slice(bytemuck::cast_slice(&words));
        }
        ("QUATERNION", 8) => {
            let mut words: Vec<[i16; 4]> = bytemuck::pod_collect_to_vec(data);
            meshopt::decode_filter_quat(&mut words);
            data.copy_from_slice(bytemuck::cast_slice(&words));
        }
        ("EXPONENTIAL", _) if stride.is_multiple_of(4) => {
            let mut words: Vec<u32> = bytemuck::pod_collect_to_vec(data);
            meshopt::decode_filter_exp::<1>(bytemuck::cast_slice_mut(&mut words));
            data.copy_from_slice(bytemuck::cast_slice(&words));
        }
        (filter, stride) => return Err(format!("the filter {filter} on {stride}-byte elements")),
    }
    Ok(())
}
