using System.Buffers.Binary;

namespace AgentGrains.Storage.Memory;

/// <summary>An embedding as SQLite stores it: its float32 values little-endian, 4 bytes each, whatever the machine's byte order.</summary>
internal static class MemoryEmbedding
{
    public static byte[] ToBytes(float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var bytes = new byte[values.Length * sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }

        return bytes;
    }

    /// <exception cref="StorageException">The blob's length is not a whole number of floats: the row was not written by this store.</exception>
    public static float[] FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length % sizeof(float) != 0)
        {
            throw new StorageException($"A stored embedding of {bytes.Length} bytes is not a whole number of float32 values.", isTransient: false);
        }

        var values = new float[bytes.Length / sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
        }

        return values;
    }
}
